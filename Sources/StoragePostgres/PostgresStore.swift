import CollabCore
import Storage
import Synchronization
import WireProtocol

/// The PostgreSQL backend of the store boundary (DESIGN §11).
///
/// Lives in its own module, `StoragePostgres` (Storage + WireProtocol), rather than in `Storage`:
/// the embedded store, its crash probe and its tests then never link sockets, the poller or
/// OpenSSL, and the only code that knows both the store's mutations and the wire client is here.
///
/// **Group commit.** `enqueue` turns a batch into parameterized statements and queues it, in the
/// order `ThreatModelStore` applied it. One writer task sends everything queued as one
/// `PostgresClient.batch` (one implicit transaction, one round trip, one WAL flush) while the
/// next batches queue behind it; so concurrent REST writes and live operations share round trips,
/// and a batch is committed whole or not at all. Only one group is in flight at a time, which
/// keeps the database's order equal to the memory's.
///
/// **Faults.** When a group fails because the database cannot be reached, the writer marks an
/// outage: the waiters of the batches in flight get `StoreUnavailable` (answered 503: not
/// acknowledged) and new batches are refused before they touch memory. The batches already
/// applied in memory stay queued and are sent again, in order, once the pool has reconnected;
/// every statement is idempotent (`PostgresStore+SQL`), so a group whose COMMIT did arrive is
/// not applied twice. Like any database client that loses a commit acknowledgement, a write
/// answered 503 during an outage may therefore still appear once the database is back; it never
/// appears twice or in part. A group the server refuses for another reason (a bug: the memory
/// decided it was valid) is retried batch by batch so only the faulty batch is dropped and logged.
public final class PostgresStore: Store {
    public let client: PostgresClient
    public let snapshotEvery: Int? = nil
    let sql: StoreSQL
    private let queue = Mutex(Queue())
    /// Where dropped batches are reported (the gateway passes its logger).
    private let report: @Sendable (String) -> Void

    struct Pending {
        var ticket: UInt64
        var queries: [PostgresQuery]
    }

    struct Queue {
        var pending: [Pending] = []
        var nextTicket: UInt64 = 1
        /// Every ticket up to this one is committed (or was dropped, see `dropped`).
        var durable: UInt64 = 0
        var dropped: [UInt64: StoreUnavailable] = [:]
        var writing = false
        /// Why the database cannot be written now; nil when it can.
        var outage: String?
        var closed = false
        var waiters: [(ticket: UInt64, continuation: CheckedContinuation<StoreUnavailable?, Never>)] = []
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    /// The SQLSTATE `tmi_fence` raises for a stale ownership token (migration 2).
    static let fencedState = "TMI01"

    /// Most statements sent in one group (a large import is split into several).
    static let maxGroupStatements = 2_000

    public let revisionsAtOpen: [String: Int]

    init(
        client: PostgresClient, tables: PostgresTables, revisions: [String: Int] = [:],
        report: @escaping @Sendable (String) -> Void
    ) {
        self.client = client
        self.revisionsAtOpen = revisions
        self.sql = StoreSQL(t: tables)
        self.report = report
    }

    /// Connects, migrates the schema and loads every stored change. Throws the client's error
    /// (which names the problem and never the password) when the URL is malformed, the server
    /// cannot be reached or refuses the login.
    public static func open(
        url: String, schema: String = "public", report: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> (store: PostgresStore, state: StoreState) {
        let tables = try PostgresTables(schema: schema)
        let client = try PostgresClient(url: url)
        do {
            try await PostgresMigrations.run(client, tables)
            let (state, revisions) = try await loadRevised(client, tables)
            return (
                PostgresStore(client: client, tables: tables, revisions: revisions, report: report), state
            )
        } catch {
            await client.close()
            throw error
        }
    }

    public var acceptsWrites: Bool { queue.withLock { $0.outage == nil && !$0.closed } }

    public func enqueue(_ batch: [StoreMutation]) throws(StoreUnavailable) -> UInt64 {
        let queries = sql.queries(for: batch)
        let (ticket, start) = try queue.withLock { q throws(StoreUnavailable) -> (UInt64, Bool) in
            if q.closed { throw StoreUnavailable("the store is closed") }
            if let outage = q.outage {
                throw StoreUnavailable("PostgreSQL is unavailable: \(outage)", retryAfterSeconds: 2)
            }
            let ticket = q.nextTicket
            q.nextTicket += 1
            q.pending.append(Pending(ticket: ticket, queries: queries))
            let start = !q.writing
            q.writing = true
            return (ticket, start)
        }
        if start { Task.detached { await self.writeLoop() } }
        return ticket
    }

    public func waitDurable(_ ticket: UInt64) async throws(StoreUnavailable) {
        let failure = await withCheckedContinuation { (c: CheckedContinuation<StoreUnavailable?, Never>) in
            let now: StoreUnavailable?? = queue.withLock { q in
                if let dropped = q.dropped[ticket] { return .some(dropped) }
                if ticket <= q.durable { return .some(nil) }
                if let outage = q.outage {
                    return .some(
                        StoreUnavailable("PostgreSQL is unavailable: \(outage)", retryAfterSeconds: 2))
                }
                if q.closed { return .some(StoreUnavailable("the store is closed")) }
                q.waiters.append((ticket, c))
                return nil
            }
            if let now { c.resume(returning: now) }
        }
        if let failure { throw failure }
    }

    public func snapshot(_ state: StoreState, through ticket: UInt64) async {}

    /// Other nodes may write the same database (DESIGN §11).
    public var isShared: Bool { true }

    public func recentOperations(model: String, diagram: String, limit: Int) async throws(StoreUnavailable)
        -> [JSONValue]
    {
        do {
            let rows = try await client.query(
                """
                SELECT entry::text AS e FROM \(sql.t.operations)
                WHERE model_id = $1 AND diagram_id = $2 ORDER BY revision DESC LIMIT $3
                """, [.text(model), .text(diagram), .int(max(0, limit))])
            return try rows.rows.map { try Self.parse($0, "e") }
        } catch {
            throw StoreUnavailable(
                "PostgreSQL could not read diagram \(diagram)'s operations: \(error)", retryAfterSeconds: 2)
        }
    }

    public func loadModel(_ id: String) async throws(StoreUnavailable) -> StoreState {
        try await loadRevisedModel(id).state
    }

    public func loadRevisedModel(_ id: String) async throws(StoreUnavailable) -> (
        state: StoreState, revision: Int?
    ) {
        do {
            let (state, revisions) = try await Self.loadRevised(client, sql.t, model: id)
            return (state, revisions[id])
        } catch {
            throw StoreUnavailable(
                "PostgreSQL could not read threat model \(id): \(error)", retryAfterSeconds: 2)
        }
    }

    public func modelRevisions() async throws(StoreUnavailable) -> [String: Int] {
        do {
            return try await Self.revisions(client, sql.t)
        } catch {
            throw StoreUnavailable(
                "PostgreSQL could not read the threat models' revisions: \(error)", retryAfterSeconds: 2)
        }
    }

    public func close() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let idle = queue.withLock { q -> Bool in
                q.closed = true
                guard q.writing else { return true }
                q.drained.append(c)
                return false
            }
            if idle { c.resume() }
        }
        let waiters = queue.withLock { q in
            defer { q.waiters = [] }
            return q.waiters
        }
        for w in waiters { w.continuation.resume(returning: StoreUnavailable("the store is closed")) }
        await client.close()
    }

    // MARK: the writer

    /// Sends queued batches group by group until the queue is empty. One runs at a time.
    private func writeLoop() async {
        while true {
            let group = queue.withLock { q -> [Pending]? in
                guard !q.pending.isEmpty else {
                    q.writing = false
                    return nil
                }
                var taken: [Pending] = []
                var statements = 0
                for p in q.pending {
                    if !taken.isEmpty && statements + p.queries.count > Self.maxGroupStatements { break }
                    taken.append(p)
                    statements += p.queries.count
                }
                return taken
            }
            guard let group else { break }
            await write(group)
        }
        let drained = queue.withLock { q in
            defer { q.drained = [] }
            return q.drained
        }
        for c in drained { c.resume() }
    }

    /// Commits one group, retrying through outages; returns when it is committed or dropped.
    private func write(_ group: [Pending]) async {
        var attempt = 0
        while true {
            do {
                try await client.batch(group.flatMap(\.queries))
                finish(group, droppedWith: nil)
                return
            } catch  where error.isUnavailable || error == .timedOut {
                attempt += 1
                if markOutage(error) { return }
                // The pool reconnects with backoff; wait for it, then send the same group again.
                try? await client.waitUntilAvailable(timeout: .seconds(5))
                if attempt > 1 { try? await Task.sleep(for: .milliseconds(min(100 * attempt, 2_000))) }
            } catch {
                if group.count > 1 {
                    for single in group { await write([single]) }
                    return
                }
                if error.sqlState == Self.fencedState {
                    // A newer owner claimed the diagram: expected after a failover, not a bug.
                    finish(group, droppedWith: .fenced("\(error)"))
                    return
                }
                report("PostgreSQL refused a store batch; it is dropped: \(error)")
                finish(group, droppedWith: StoreUnavailable("PostgreSQL refused the change: \(error)"))
                return
            }
        }
    }

    /// Records an outage and fails the waiters in flight; true when the store is closing (the
    /// queued batches were never acknowledged, so giving up on them loses nothing promised).
    private func markOutage(_ error: PostgresError) -> Bool {
        let (waiters, closing) = queue.withLock { q in
            q.outage = "\(error)"
            defer { q.waiters = [] }
            if q.closed { q.pending = [] }
            return (q.waiters, q.closed)
        }
        let failure = StoreUnavailable("PostgreSQL is unavailable: \(error)", retryAfterSeconds: 2)
        for w in waiters { w.continuation.resume(returning: failure) }
        return closing
    }

    private func finish(_ group: [Pending], droppedWith failure: StoreUnavailable?) {
        guard let last = group.last?.ticket else { return }
        let ready = queue.withLock { q in
            q.pending.removeFirst(group.count)
            q.durable = max(q.durable, last)
            if let failure {
                for p in group { q.dropped[p.ticket] = failure }
            }
            q.outage = nil
            var ready: [(CheckedContinuation<StoreUnavailable?, Never>, StoreUnavailable?)] = []
            q.waiters.removeAll { w in
                guard w.ticket <= q.durable else { return false }
                ready.append((w.continuation, q.dropped[w.ticket]))
                return true
            }
            return ready
        }
        for (c, f) in ready { c.resume(returning: f) }
    }
}
