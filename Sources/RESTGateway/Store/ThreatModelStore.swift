import CollabCore

/// Where the store's batches go to become durable. `enqueue` is called synchronously inside the
/// store actor, so records reach the log in exactly the order they were applied in memory;
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
}

/// All threat models in memory, every change journaled before it is acknowledged (DESIGN §7).
///
/// Writes run their validation and mutation synchronously on the actor (so two concurrent
/// requests on one model cannot lose an update), then wait for durability off the actor.
public actor ThreatModelStore {
    public private(set) var state: StoreState
    private let log: (any StoreLog)?
    private var recordsSinceSnapshot = 0
    private var lastTicket: UInt64 = 0
    private var compaction: Task<Void, Never>?
    /// Journal records between snapshots.
    public let compactEvery: Int

    public init(state: StoreState = StoreState(), log: (any StoreLog)? = nil, compactEvery: Int = 5_000) {
        self.state = state
        self.log = log
        self.compactEvery = compactEvery
    }

    /// Runs `body` against the current state.
    public func read<T: Sendable, E: Error>(_ body: (StoreState) throws(E) -> T) throws(E) -> T {
        try body(state)
    }

    /// Decides a change from the current state, applies it and makes it durable. `body` returns
    /// the result and the mutations; it throws to refuse the change (nothing is applied).
    public func write<T: Sendable>(
        _ body: (StoreState) throws(APIError) -> (T, [StoreMutation])
    ) async throws(APIError) -> T {
        let (result, batch) = try body(state)
        guard !batch.isEmpty else { return result }
        var ticket: UInt64?
        if let log {
            do {
                ticket = try log.enqueue(StoreCodec.encode(batch: batch))
            } catch {
                throw APIError(
                    status: 503, code: "storage_unavailable", description: "the change could not be stored")
            }
        }
        for m in batch { state.apply(m) }
        if let log, let ticket {
            lastTicket = ticket
            recordsSinceSnapshot += 1
            if recordsSinceSnapshot >= compactEvery && compaction == nil { startCompaction(log) }
            do {
                try await log.waitDurable(ticket)
            } catch {
                throw APIError(
                    status: 503, code: "storage_unavailable", description: "the change could not be stored")
            }
        }
        return result
    }

    /// Snapshot from an immutable copy, encoded and written off the actor.
    private func startCompaction(_ log: any StoreLog) {
        recordsSinceSnapshot = 0
        let copy = state
        let through = lastTicket
        compaction = Task.detached { [weak self] in
            let bytes = StoreCodec.encode(snapshot: copy)
            // A failed compaction loses nothing: the journal still holds every record.
            try? await log.compact(snapshot: bytes, through: through)
            await self?.compactionFinished()
        }
    }

    private func compactionFinished() { compaction = nil }

    /// Waits for a running compaction, then closes the log (graceful shutdown).
    public func close() async {
        await compaction?.value
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
