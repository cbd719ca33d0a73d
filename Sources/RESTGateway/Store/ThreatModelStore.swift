import CollabCore
import Synchronization

/// Where the store's batches go to become durable. `enqueue` is called while the store's lock is
/// held, so records reach the log in exactly the order they were applied in memory;
/// `waitDurable` then suspends until that record (and everything before it) is on disk.
public protocol StoreLog: Sendable {
    /// Queues a record; returns a ticket for `waitDurable`. Must not block.
    func enqueue(_ record: [UInt8]) throws -> UInt64
    /// Suspends until the ticket's record is fsynced.
    func waitDurable(_ ticket: UInt64) async throws
    /// Replaces the journal up to `ticket` with a snapshot (written off the caller's thread).
    func compact(snapshot: [UInt8], through ticket: UInt64) async throws
    /// Flushes and closes the log; later enqueues fail.
    func close() async
    /// Whether an enqueue now would be written (open, no failed write): the server's `/readyz`.
    var acceptsWrites: Bool { get }
}

extension StoreLog {
    public var acceptsWrites: Bool { true }
}

/// All threat models in memory, every change journaled before it is acknowledged (DESIGN §7).
///
/// A lock, not an actor: a change is decided, journaled (enqueued) and applied in one short
/// synchronous critical section, so callers that must keep an order (a live session journaling
/// its operations from inside its own actor) get exactly that order, and two concurrent requests
/// on one model can never lose an update. Waiting for the fsync happens outside the lock. Reads
/// take a copy-on-write snapshot of the state (O(1)) and never wait for writers' disk I/O.
public final class ThreatModelStore: Sendable {
    struct Core {
        var state: StoreState
        var recordsSinceSnapshot = 0
        var lastTicket: UInt64 = 0
        var compaction: Task<Void, Never>?
    }

    private let core: Mutex<Core>
    private let log: (any StoreLog)?
    /// Journal records between snapshots.
    public let compactEvery: Int

    public init(state: StoreState = StoreState(), log: (any StoreLog)? = nil, compactEvery: Int = 5_000) {
        self.core = Mutex(Core(state: state))
        self.log = log
        self.compactEvery = compactEvery
    }

    /// Whether a change now would be journaled (an in-memory store always is): `/readyz`.
    public var acceptsWrites: Bool { log?.acceptsWrites ?? true }

    /// The current state (a copy-on-write value).
    public var state: StoreState { core.withLock { $0.state } }

    /// Runs `body` against the current state.
    public func read<T, E: Error>(_ body: (StoreState) throws(E) -> T) throws(E) -> T {
        try body(state)
    }

    /// Decides a change from the current state, journals and applies it, without waiting for
    /// the disk. `body` returns the result and the mutations; it throws to refuse the change
    /// (nothing is applied). Returns the journal ticket to pass to `waitDurable`.
    public func commit<T>(
        _ body: (StoreState) throws(APIError) -> (T, [StoreMutation])
    ) throws(APIError) -> (result: T, ticket: UInt64?) {
        let (outcome, compactFrom) = try core.withLock { c throws(APIError) -> ((T, UInt64?), StoreState?) in
            let (result, batch) = try body(c.state)
            guard !batch.isEmpty else { return ((result, nil), nil) }
            var ticket: UInt64?
            if let log {
                do {
                    ticket = try log.enqueue(StoreCodec.encode(batch: batch))
                } catch {
                    throw Self.unavailable
                }
            }
            for m in batch { c.state.apply(m) }
            guard let ticket else { return ((result, nil), nil) }
            c.lastTicket = ticket
            c.recordsSinceSnapshot += 1
            guard c.recordsSinceSnapshot >= compactEvery, c.compaction == nil else {
                return ((result, ticket), nil)
            }
            c.recordsSinceSnapshot = 0
            return ((result, ticket), c.state)
        }
        if let copy = compactFrom, let log, let through = outcome.1 {
            startCompaction(copy, through: through, log)
        }
        return outcome
    }

    /// Suspends until the change with `ticket` is on disk.
    public func waitDurable(_ ticket: UInt64?) async throws(APIError) {
        guard let ticket, let log else { return }
        do {
            try await log.waitDurable(ticket)
        } catch {
            throw Self.unavailable
        }
    }

    /// `commit`, then wait until the change is durable: what a REST write acknowledges.
    public func write<T>(
        _ body: (StoreState) throws(APIError) -> (T, [StoreMutation])
    ) async throws(APIError) -> T {
        let (result, ticket) = try commit(body)
        try await waitDurable(ticket)
        return result
    }

    static let unavailable = APIError(
        status: 503, code: "storage_unavailable", description: "the change could not be stored; try again")

    /// Snapshot from an immutable copy, encoded and written off the lock and off the caller.
    private func startCompaction(_ copy: StoreState, through: UInt64, _ log: any StoreLog) {
        let task = Task.detached { [weak self] in
            let bytes = StoreCodec.encode(snapshot: copy)
            // A failed compaction loses nothing: the journal still holds every record.
            try? await log.compact(snapshot: bytes, through: through)
            self?.core.withLock { $0.compaction = nil }
        }
        core.withLock { c in
            if c.compaction == nil { c.compaction = task }
        }
    }

    /// Waits for a running compaction, then closes the log (graceful shutdown).
    public func close() async {
        if let running = core.withLock({ $0.compaction }) { await running.value }
        await log?.close()
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
