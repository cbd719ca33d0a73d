import Synchronization

/// A pool of PostgreSQL connections: the entry point of the client.
///
/// Queries from concurrent tasks are pipelined on the least busy connection rather than each
/// waiting for a connection of its own, so many small writes share round trips (and the
/// server's WAL flushes): 200 concurrent inserts on 2 connections take a handful of round trips.
/// A transaction leases one connection exclusively until it ends. When the server goes away,
/// requests fail fast with `.unavailable` while the pool reconnects in the background with
/// exponential backoff; `waitUntilAvailable` and `isAvailable` serve readiness checks.
///
/// ```swift
/// let db = try PostgresClient(url: "postgres://tmi:secret@127.0.0.1:5432/tmi?sslmode=disable")
/// try await db.simpleQuery("CREATE TABLE IF NOT EXISTS notes (id uuid PRIMARY KEY, body text)")
/// try await db.execute("INSERT INTO notes VALUES ($1, $2)", [.uuid(UUID()), "hello"])
/// for row in try await db.query("SELECT id, body FROM notes WHERE body = $1", ["hello"]).rows {
///     print(try row.string("body"), row["id"]?.uuid as Any)
/// }
/// try await db.withTransaction { tx in
///     try await tx.execute("UPDATE notes SET body = $1 WHERE id = $2", ["bye", .uuid(id)])
///     try await tx.execute("DELETE FROM notes WHERE body = $1", ["hello"])
/// }  // commits; a thrown error rolls back and is rethrown
/// // Several statements in one round trip, atomically, without leasing a connection:
/// try await db.batch([PostgresQuery("INSERT …", [1]), PostgresQuery("UPDATE …", [2])])
/// await db.close()
/// ```
public final class PostgresClient: Sendable {
    public let configuration: PostgresConfiguration
    let pool: Mutex<PoolState>
    /// Built on first connect (it reads CA files) and shared by every connection.
    let tls = Mutex<TLSContext?>(nil)

    struct Entry {
        let connection: PostgresConnection
        var leased = false
    }

    struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    struct PoolState {
        var entries: [Entry] = []
        var connecting = 0
        var waiters: [Waiter] = []
        var nextWaiter: UInt64 = 0
        var closed = false
        /// Set while the server is unreachable: why, and whether the reconnect task runs.
        var outage: String?
        var reconnecting = false
        var backoff = ReconnectBackoff()
    }

    public init(configuration: PostgresConfiguration) {
        self.configuration = configuration
        self.pool = Mutex(PoolState())
    }

    /// A pool for `postgres://user:pass@host:port/db?sslmode=…`; throws `.invalidConfiguration`
    /// for a malformed URL (the message never contains the password).
    public convenience init(url: String) throws(PostgresError) {
        self.init(configuration: try PostgresConfiguration(url: url))
    }

    // MARK: queries

    /// Runs one parameterized statement and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil)
        async throws(PostgresError) -> PostgresQueryResult
    {
        let results = try await runShared(.extended([PostgresQuery(sql, parameters)]), timeout: timeout)
        return results.first ?? PostgresQueryResult()
    }

    /// Runs one parameterized statement; returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = [], timeout: Duration? = nil)
        async throws(PostgresError) -> Int
    {
        try await query(sql, parameters, timeout: timeout).rowsAffected
    }

    /// Runs several statements as one implicit transaction in a single round trip: all commit,
    /// or (on the first error, which is thrown) none. Pipelined like single queries.
    @discardableResult
    public func batch(_ queries: [PostgresQuery], timeout: Duration? = nil) async throws(PostgresError)
        -> [PostgresQueryResult]
    {
        try await runShared(.extended(queries), timeout: timeout)
    }

    /// The simple query protocol: SQL text with no parameters, possibly several statements
    /// separated by semicolons, run as one implicit transaction (for migrations). Never pass
    /// user data here.
    @discardableResult
    public func simpleQuery(_ sql: String, timeout: Duration? = nil) async throws(PostgresError)
        -> [PostgresQueryResult]
    {
        try await runShared(.simple(sql), timeout: timeout)
    }

    /// A round trip to the server (`SELECT 1`), connecting if needed: for readiness checks.
    public func ping(timeout: Duration? = nil) async throws(PostgresError) {
        _ = try await runShared(.simple("SELECT 1"), timeout: timeout ?? configuration.connectTimeout)
    }

    private func runShared(_ request: PostgresConnection.Request, timeout: Duration?)
        async throws(PostgresError)
        -> [PostgresQueryResult]
    {
        let connection = try await acquire(exclusive: false)
        return try await connection.run(request, timeout: timeout ?? configuration.queryTimeout)
    }

    /// Closes every connection (after the requests already sent); later calls fail `.closed`.
    public func close() async {
        let (entries, waiters) = pool.withLock { p in
            p.closed = true
            defer {
                p.entries = []
                p.waiters = []
            }
            return (p.entries, p.waiters)
        }
        for entry in entries { entry.connection.close() }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// True when at least one connection is open.
    public var isAvailable: Bool { pool.withLock { p in p.entries.contains { !$0.connection.isClosed } } }

    /// Connections open now (for tests and metrics).
    public var connectionCount: Int { pool.withLock { $0.entries.count } }
}
