import CollabCore
import Synchronization

/// All threat models in memory, every change handed to a durable `Store` before it is
/// acknowledged (DESIGN §7, §11).
///
/// A lock, not an actor: a change is decided, enqueued to the backend and applied in one short
/// synchronous critical section, so callers that must keep an order (a live session persisting
/// its operations from inside its own actor) get exactly that order, and two concurrent requests
/// on one model can never lose an update. Waiting for durability happens outside the lock. Reads
/// take a copy-on-write snapshot of the state (O(1)) and never wait for writers' I/O.
///
/// Errors are the caller's: `commit` rethrows what its body throws, and turns a backend refusal
/// into the caller's error through `unavailable` (the gateway maps it to a 503 `APIError`).
public final class ThreatModelStore: Sendable {
    struct Core {
        var state: StoreState
        var batchesSinceSnapshot = 0
        var lastTicket: UInt64 = 0
        var compaction: Task<Void, Never>?
        /// Per model, the commit that last changed it or anything inside it (children, metadata,
        /// cells); a model untouched since start-up has none (revision 0). Commits are numbered
        /// by `commits`, which only grows, so a revision is never reused, even across a delete
        /// and a re-create. Entries of deleted models stay: a few bytes each.
        var revisions: [String: UInt64] = [:]
        var commits: UInt64 = 0
    }

    private let core: Mutex<Core>
    /// The durable backend; nil keeps everything in memory only (unit tests).
    public let backend: (any Store)?
    /// Batches between snapshots (the backend's wish, or the caller's override).
    public let compactEvery: Int?

    public init(state: StoreState = StoreState(), backend: (any Store)? = nil, compactEvery: Int? = nil) {
        self.core = Mutex(Core(state: state))
        self.backend = backend
        self.compactEvery = compactEvery ?? backend?.snapshotEvery
    }

    /// Whether a change now would be made durable (an in-memory store always is): `/readyz`.
    public var acceptsWrites: Bool { backend?.acceptsWrites ?? true }

    /// The current state (a copy-on-write value).
    public var state: StoreState { core.withLock { $0.state } }

    /// Runs `body` against the current state.
    public func read<T, E: Error>(_ body: (StoreState) throws(E) -> T) throws(E) -> T {
        try body(state)
    }

    /// Runs `body` against the current state and the revision of model `id` in that state: equal
    /// revisions mean equal contents of the model and everything in it, so a rendering of the
    /// model can be reused as long as the revision has not moved (the gateway's JSON cache).
    public func read<T, E: Error>(model id: String, _ body: (StoreState, UInt64) throws(E) -> T) throws(E)
        -> T
    {
        let (state, revision) = core.withLock { ($0.state, $0.revisions[id] ?? 0) }
        return try body(state, revision)
    }

    /// Decides a change from the current state, enqueues and applies it, without waiting for
    /// durability. `body` returns the result and the mutations; it throws to refuse the change
    /// (nothing is applied). Returns the ticket to pass to `waitDurable`.
    public func commit<T, E: Error>(
        _ body: (StoreState) throws(E) -> (T, [StoreMutation]),
        unavailable: (StoreUnavailable) -> E
    ) throws(E) -> (result: T, ticket: UInt64?) {
        let (outcome, compactFrom) = try core.withLock { c throws(E) -> ((T, UInt64?), StoreState?) in
            let (result, batch) = try body(c.state)
            guard !batch.isEmpty else { return ((result, nil), nil) }
            var ticket: UInt64?
            if let backend {
                do throws(StoreUnavailable) {
                    ticket = try backend.enqueue(batch)
                } catch {
                    throw unavailable(error)
                }
            }
            c.commits += 1
            for m in batch {
                c.state.apply(m)
                c.revisions[m.modelID] = c.commits
            }
            guard let ticket else { return ((result, nil), nil) }
            c.lastTicket = ticket
            c.batchesSinceSnapshot += 1
            guard let every = compactEvery, c.batchesSinceSnapshot >= every, c.compaction == nil else {
                return ((result, ticket), nil)
            }
            c.batchesSinceSnapshot = 0
            return ((result, ticket), c.state)
        }
        if let copy = compactFrom, let backend, let through = outcome.1 {
            startCompaction(copy, through: through, backend)
        }
        return outcome
    }

    /// Suspends until the change with `ticket` is durable.
    public func waitDurable<E: Error>(_ ticket: UInt64?, unavailable: (StoreUnavailable) -> E)
        async throws(E)
    {
        guard let ticket, let backend else { return }
        do {
            try await backend.waitDurable(ticket)
        } catch {
            throw unavailable(error)
        }
    }

    /// `commit`, then wait until the change is durable: what a REST write acknowledges.
    public func write<T, E: Error>(
        _ body: (StoreState) throws(E) -> (T, [StoreMutation]),
        unavailable: (StoreUnavailable) -> E
    ) async throws(E) -> T {
        let (result, ticket) = try commit(body, unavailable: unavailable)
        try await waitDurable(ticket, unavailable: unavailable)
        return result
    }

    /// Snapshot from an immutable copy, handed to the backend off the lock and off the caller.
    private func startCompaction(_ copy: StoreState, through: UInt64, _ backend: any Store) {
        let task = Task.detached { [weak self] in
            await backend.snapshot(copy, through: through)
            self?.core.withLock { $0.compaction = nil }
        }
        core.withLock { c in
            if c.compaction == nil { c.compaction = task }
        }
    }

    /// Waits for a running compaction, then closes the backend (graceful shutdown).
    public func close() async {
        if let running = core.withLock({ $0.compaction }) { await running.value }
        await backend?.close()
    }

    /// Rebuilds the state from a snapshot and the journal records written after it.
    public static func recover(snapshot: [UInt8]?, records: [[UInt8]]) throws -> StoreState {
        var state = try snapshot.map(StoreCodec.decode(snapshot:)) ?? StoreState()
        for r in records {
            for m in try StoreCodec.decode(batch: r) { state.apply(m) }
        }
        return state
    }
}
