import Synchronization

/// A durable record log for one owner (a store, a diagram): a snapshot plus the journal records
/// written after it, compacted on request. This is the unit the rest of the server persists with.
///
/// Files in `directory`, for a log called `name`:
///
///     name.snapshot        the latest snapshot (see `SnapshotFile`), absent before the first
///     name.journal.<N>     journal generations; appends go to the highest N
///     name.snapshot.tmp    a snapshot being written (removed on open if a crash left it)
///
/// Every record carries a sequence number, rising by one. A snapshot records the last sequence it
/// includes and replay skips everything up to it, which makes recovery idempotent at any point of
/// a compaction (see `compact(snapshot:through:)`).
///
/// Use from an actor: apply a change and `enqueue` its record in the same synchronous step (the
/// journal then holds changes in apply order), then `await waitDurable(ticket)` before answering.
/// If that fails, the log refuses further appends (`.unusable`); the owner's memory holds a change
/// the disk does not, so it answers 503 and either takes the change back and calls
/// `resumeAfterFailure()` (as `ThreatModelStore` does) or reloads by closing and opening the log.
/// Each log starts a journal thread of its own unless `StorageOptions.journalThread` names one to
/// share (sensible for many small logs, e.g. one per live diagram).
public final class DurableLog: Sendable {
    public let directory: String
    public let name: String
    let journal: Journal
    let options: StorageOptions
    let state: Mutex<LogState>

    struct Generation: Equatable {
        var number: UInt64
        /// The last sequence number written to it (the one before it, for an empty one).
        var lastSequence: UInt64
    }

    struct LogState {
        var snapshotSequence: UInt64
        var currentGeneration: UInt64
        /// Finished generations still on disk, oldest first.
        var closedGenerations: [Generation]
        var compacting = false
    }

    /// What `open` found on disk: the latest snapshot and the records written after it, in order.
    public struct Recovery: Sendable {
        public var snapshot: [UInt8]?
        /// The last sequence number the snapshot includes (0 without a snapshot).
        public var snapshotSequence: UInt64
        public var records: [JournalRecord]
        /// Just the records' bytes, in order.
        public var payloads: [[UInt8]] { records.map(\.bytes) }
    }

    init(
        directory: String, name: String, journal: Journal, options: StorageOptions, state: LogState
    ) {
        self.directory = directory
        self.name = name
        self.journal = journal
        self.options = options
        self.state = Mutex(state)
    }

    var snapshotPath: String { "\(directory)/\(name).snapshot" }
    func journalPath(_ generation: UInt64) -> String { "\(directory)/\(name).journal.\(generation)" }

    /// Queues a record; returns its sequence number, the ticket for `waitDurable`. Does not block.
    /// Call it where the change is applied (on the owning actor) to journal in apply order.
    public func enqueue(_ record: [UInt8]) throws(StorageError) -> UInt64 {
        try journal.enqueue(record)
    }

    /// Suspends until the record with this sequence number (and all before it) is fsynced.
    public func waitDurable(_ sequence: UInt64) async throws(StorageError) {
        try await journal.waitDurable(sequence)
    }

    /// `enqueue` then `waitDurable`; enqueues on the caller's actor before suspending.
    nonisolated(nonsending) public func append(_ record: [UInt8]) async throws(StorageError) -> UInt64 {
        let sequence = try journal.enqueue(record)
        try await journal.waitDurable(sequence)
        return sequence
    }

    /// Blocking `append` for start-up code.
    @available(*, noasync, message: "blocks the thread; use append(_:) from async code")
    public func appendSync(_ record: [UInt8]) throws(StorageError) -> UInt64 {
        try journal.appendSync(record)
    }

    /// After a failed write, accept appends again; returns the last durable sequence number, or
    /// nil when nothing failed (see `Journal.resumeAfterFailure`). The caller must already have
    /// forgotten every change whose record came after that number.
    public func resumeAfterFailure() -> UInt64? { journal.resumeAfterFailure() }
    /// While a failed write is not resumed: the last durable sequence number.
    public var failedThrough: UInt64? { journal.failedThrough }

    /// The last sequence number handed out (0 before the first record ever).
    public var lastSequence: UInt64 { journal.lastSequence }
    /// Every record up to this sequence number is on disk.
    public var durableSequence: UInt64 { journal.durableSequence }
    /// The last sequence number the current snapshot includes.
    public var snapshotSequence: UInt64 { state.withLock { $0.snapshotSequence } }
    /// The journal's counters (appends, batches, fsyncs...).
    public var metrics: JournalMetrics { journal.metrics }
    /// Open and not failed: an append now would be written (the server's `/readyz`).
    public var acceptsWrites: Bool { journal.acceptsWrites }

    /// Writes what is queued and closes the journal.
    public func close() async { await journal.close() }

    @available(*, noasync, message: "blocks the thread; use close() from async code")
    public func closeSync() { journal.closeSync() }
}
