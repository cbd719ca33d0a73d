import Synchronization

/// The connection of one open transaction, handed to the body of `withTransaction`. Use it
/// only inside that body.
public struct PostgresTransaction: Sendable {
    let connection: PostgresConnection
    let defaultTimeout: Duration?
    /// BEGIN travels with the first statement (one round trip saved); see `withTransaction`.
    let begun: BeginState

    final class BeginState: Sendable {
        let sent = Atomic(false)
    }

    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil)
        async throws(PostgresError) -> PostgresQueryResult
    {
        let results = try await run([PostgresQuery(sql, parameters)], timeout: timeout)
        return results.last ?? PostgresQueryResult()
    }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil)
        async throws(PostgresError) -> Int
    {
        try await query(sql, parameters, timeout: timeout).rowsAffected
    }

    /// Several statements in one round trip inside the transaction.
    @discardableResult
    public func batch(_ queries: [PostgresQuery], timeout: Duration? = nil) async throws(PostgresError)
        -> [PostgresQueryResult]
    {
        try await run(queries, timeout: timeout)
    }

    private func run(_ queries: [PostgresQuery], timeout: Duration?) async throws(PostgresError)
        -> [PostgresQueryResult]
    {
        // BEGIN and the first statement share one Sync: if BEGIN failed, the statement would
        // be skipped by the server rather than run outside the transaction.
        let first = !begun.sent.exchange(true, ordering: .relaxed)
        let all = first ? [PostgresQuery("BEGIN")] + queries : queries
        let results = try await connection.run(.extended(all), timeout: timeout ?? defaultTimeout)
        return first ? Array(results.dropFirst()) : results
    }
}

extension PostgresClient {
    /// Runs `body` in a transaction on a connection leased for its duration: COMMIT when it
    /// returns, ROLLBACK when it throws (the error is rethrown). A COMMIT the server turns into
    /// a rollback (the transaction had failed and `body` caught the error) throws
    /// `.transactionRolledBack`, so a caller never believes a failed write was kept.
    public func withTransaction<T>(
        timeout: Duration? = nil, _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let connection = try await acquire(exclusive: true)
        defer { release(connection) }
        let transaction = PostgresTransaction(
            connection: connection, defaultTimeout: timeout ?? configuration.queryTimeout, begun: .init())
        let value: T
        do {
            value = try await body(transaction)
        } catch {
            if transaction.begun.sent.load(ordering: .relaxed) {
                _ = try? await connection.run(.simple("ROLLBACK"), timeout: configuration.connectTimeout)
            }
            throw error
        }
        guard transaction.begun.sent.load(ordering: .relaxed) else { return value }
        let results = try await connection.run(
            .simple("COMMIT"), timeout: timeout ?? configuration.queryTimeout)
        if results.last?.commandTag == "ROLLBACK" { throw PostgresError.transactionRolledBack }
        return value
    }

    /// Runs `body` with a connection leased for its duration (session state such as `SET`
    /// or advisory locks stays with it). Prefer `withTransaction` for writes.
    public func withConnection<T>(_ body: (PostgresTransaction) async throws -> T) async throws -> T {
        let connection = try await acquire(exclusive: true)
        defer { release(connection) }
        let handle = PostgresTransaction(
            connection: connection, defaultTimeout: configuration.queryTimeout, begun: .init())
        handle.begun.sent.store(true, ordering: .relaxed)
        return try await body(handle)
    }
}
