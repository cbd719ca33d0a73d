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
/// A failed write is taken back (a full disk, `EIO`): the state is applied before it is durable,
/// so for a backend that reports `durableTicket` the store keeps an undo log of the batches not
/// yet known durable (each mutation's prior value of exactly what it touched, `StoreUndo`), never
/// a second copy of the state. When the backend reports a failure, the next holder of the lock
/// (the failed waiter, or the next writer) takes the batches that did not reach the disk back,
/// newest first, marks their tickets lost, and only then resumes the backend
/// (`Store.resumeAfterFailure`), all under the lock. The backend refuses every enqueue from the
/// failure to the resume, so no change can be built on a lost one, and the memory then equals the
/// disk again. So a refused change is never seen by a later read (apart from the instant between
/// applying it and learning it failed, as for any change not yet durable), and the next write
/// simply tries the disk again. Tickets handed out by the store are its own, never reused, so a
/// waiter that arrives after a rollback cannot mistake a reused backend ticket for its own.
///
/// Errors are the caller's: `commit` rethrows what its body throws, and turns a backend refusal
/// into the caller's error through `unavailable` (the gateway maps it to a 503 `APIError`).
public final class ThreatModelStore: Sendable {
    struct Core {
        var state: StoreState
        var batchesSinceSnapshot = 0
        var compaction: Task<Void, Never>?
        /// From the commit that decides a compaction until its task ends (see `settle`).
        var compacting = false
        /// The undo log (only when the backend reports `durableTicket`).
        var tracking: DurabilityTracking?
        /// The backend ticket of the newest batch enqueued (`refresh` waits for it).
        var lastTicket: UInt64 = 0
        /// Per model, the change that last touched it or anything inside it (children, metadata,
        /// cells); a model untouched since start-up has none (revision 0). Changes are numbered
        /// by `changes`, which only grows, so a revision is never reused, even across a delete
        /// and a re-create. Entries of deleted models stay: a few bytes each. Every place that
        /// changes `state` must call `changed(_:)` or `changedEverything()` (read(model:)).
        var revisions: [String: UInt64] = [:]
        var changes: UInt64 = 0
        /// A change that may touch any model (a rollback of lost batches): every revision is at
        /// least this.
        var everythingChangedAt: UInt64 = 0
        /// A shared backend only (several nodes, `refreshChanged`): each model's revision in the
        /// backend as of the copy in memory; per model the `changes` count of this node's newest
        /// commit touching it (a read that may predate that commit must not replace it); and per
        /// model the stamp of the read memory's copy came from, reads being stamped in the order
        /// they start (`readCount`), so an older read finishing late never replaces a newer one.
        var sharedRevisions: [String: Int] = [:]
        var written: [String: UInt64] = [:]
        var readStamps: [String: UInt64] = [:]
        var readCount: UInt64 = 0
        var tracksWrites = false
        /// Callers of `refreshChanged` waiting for the next (id, revision) read, and whether one
        /// is running: a node has at most one in flight, shared by everyone who arrived before it.
        var indexWaiters: [CheckedContinuation<IndexRead, Never>] = []
        var indexReading = false

        mutating func changed(_ batch: [StoreMutation]) {
            changes += 1
            for m in batch { revisions[m.modelID] = changes }
        }

        mutating func changed(model id: String) {
            changes += 1
            revisions[id] = changes
        }

        mutating func changedEverything() {
            changes += 1
            everythingChangedAt = changes
        }

        func revision(of id: String) -> UInt64 { max(revisions[id] ?? 0, everythingChangedAt) }
    }

    let core: Mutex<Core>
    /// The durable backend; nil keeps everything in memory only (unit tests).
    public let backend: (any Store)?
    /// Batches between snapshots (the backend's wish, or the caller's override).
    public let compactEvery: Int?
    /// Whether a failed write is taken back from memory (the backend reports a durable point):
    /// the memory then always equals what is stored, once the failure is settled.
    public let takesBackFailedWrites: Bool

    public init(state: StoreState = StoreState(), backend: (any Store)? = nil, compactEvery: Int? = nil) {
        var core = Core(state: state, tracking: backend?.durableTicket != nil ? DurabilityTracking() : nil)
        if let backend, backend.isShared {
            core.tracksWrites = true
            core.sharedRevisions = backend.revisionsAtOpen
        }
        self.core = Mutex(core)
        self.backend = backend
        self.compactEvery = compactEvery ?? backend?.snapshotEvery
        takesBackFailedWrites = backend?.durableTicket != nil
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
        let (state, revision) = core.withLock { ($0.state, $0.revision(of: id)) }
        return try body(state, revision)
    }

    /// Decides a change from the current state, enqueues and applies it, without waiting for
    /// durability. `body` returns the result and the mutations; it throws to refuse the change
    /// (nothing is applied). Returns the ticket to pass to `waitDurable`.
    public func commit<T, E: Error>(
        _ body: (StoreState) throws(E) -> (T, [StoreMutation]),
        unavailable: (StoreUnavailable) -> E
    ) throws(E) -> (result: T, ticket: UInt64?) {
        let (outcome, compactFrom) = try core.withLock {
            c throws(E) -> ((T, UInt64?), (StoreState, UInt64)?) in
            if let backend { c.settle(backend) }
            let (result, batch) = try body(c.state)
            guard !batch.isEmpty else { return ((result, nil), nil) }
            // A stale owner's batch is refused before the backend or the memory sees it.
            if let refusal = c.state.fenceRefusal(batch) { throw unavailable(refusal) }
            var ticket: UInt64?
            if let backend {
                do throws(StoreUnavailable) {
                    ticket = try backend.enqueue(batch)
                } catch {
                    throw unavailable(error)
                }
            }
            c.changed(batch)
            if c.tracksWrites { for m in batch { c.written[m.modelID] = c.changes } }
            guard let ticket else {
                for m in batch { c.state.apply(m) }
                return ((result, nil), nil)
            }
            c.lastTicket = ticket
            let handed: UInt64
            if c.tracking != nil {
                var undo: [StoreUndo] = []
                undo.reserveCapacity(batch.count)
                for m in batch { c.state.apply(m, undo: &undo) }
                handed = c.tracking!.record(undo: undo, backendTicket: ticket)
            } else {
                for m in batch { c.state.apply(m) }
                handed = ticket
            }
            c.batchesSinceSnapshot += 1
            guard let every = compactEvery, c.batchesSinceSnapshot >= every, !c.compacting else {
                return ((result, handed), nil)
            }
            c.batchesSinceSnapshot = 0
            c.compacting = true
            return ((result, handed), (c.state, ticket))
        }
        if let (copy, through) = compactFrom, let backend {
            startCompaction(copy, through: through, backend)
        }
        return outcome
    }

    /// Suspends until the change with `ticket` is durable.
    public func waitDurable<E: Error>(_ ticket: UInt64?, unavailable: (StoreUnavailable) -> E)
        async throws(E)
    {
        guard let ticket, let backend else { return }
        let backendTicket: UInt64
        switch core.withLock({ $0.tracking?.lookup(ticket) ?? .wait(ticket) }) {
        case .durable: return
        case .lost: throw unavailable(DurabilityTracking.lostFailure)
        case .wait(let t): backendTicket = t
        }
        do {
            try await backend.waitDurable(backendTicket)
        } catch {
            core.withLock { $0.settle(backend) }
            throw unavailable(error)
        }
        // A rollback between enqueue and now may have handed this backend ticket out again.
        if core.withLock({ $0.tracking?.isLost(ticket) ?? false }) {
            throw unavailable(DurabilityTracking.lostFailure)
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
            self?.core.withLock { c in
                c.compaction = nil
                c.compacting = false
            }
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
