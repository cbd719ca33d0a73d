/// Limits and threads for a journal or durable log.
public struct StorageOptions: Sendable {
    /// Largest record accepted by `append`/`enqueue`; bigger ones fail with `.recordTooLarge`.
    public var maxRecordBytes: Int
    /// Most records written by one `write` + `fdatasync` (group commit batch).
    public var maxBatchRecords: Int
    /// Most bytes in one batch (a batch always takes at least one record).
    public var maxBatchBytes: Int
    /// Thread for journal writes and fsyncs. `nil`: the journal starts and owns a dedicated one.
    /// Many journals may share one thread; each batch then waits behind other journals' fsyncs.
    public var journalThread: IOThread?
    /// Thread for snapshot writes. `nil`: each snapshot runs on a short-lived thread of its own.
    public var snapshotThread: IOThread?
    /// Test seam: called before each journal batch is written, with the file's path; an errno it
    /// returns fails that write as if the system had (`ENOSPC`, `EIO`). Nil in production.
    public var writeFault: (@Sendable (String) -> Int32?)?

    public init(
        maxRecordBytes: Int = 16 << 20, maxBatchRecords: Int = 1024, maxBatchBytes: Int = 8 << 20,
        journalThread: IOThread? = nil, snapshotThread: IOThread? = nil
    ) {
        self.maxRecordBytes = maxRecordBytes
        self.maxBatchRecords = max(1, maxBatchRecords)
        self.maxBatchBytes = max(1, maxBatchBytes)
        self.journalThread = journalThread
        self.snapshotThread = snapshotThread
    }
}

/// Counters of one journal, for benchmarks and health endpoints. `appends / batches` is the mean
/// group-commit batch size.
public struct JournalMetrics: Sendable, Equatable {
    /// Records accepted by `enqueue` (including those still waiting to be written).
    public var appends: UInt64 = 0
    /// `write` + `fdatasync` rounds (one per batch).
    public var batches: UInt64 = 0
    /// `fdatasync`/`fsync` calls on journal files and their directory.
    public var fsyncs: UInt64 = 0
    /// Most records in one batch so far.
    public var largestBatch: Int = 0
    /// Bytes written to journal files, framing included.
    public var bytesWritten: UInt64 = 0
    /// Batches whose write or fsync failed.
    public var failures: UInt64 = 0

    public init() {}
}

/// One record read back from a journal: its sequence number and its bytes.
public struct JournalRecord: Sendable, Equatable {
    public var sequence: UInt64
    public var bytes: [UInt8]

    public init(sequence: UInt64, bytes: [UInt8]) {
        self.sequence = sequence
        self.bytes = bytes
    }
}
