import Dispatch
import Synchronization

/// An append-only file of records, each made durable (`fdatasync`) before it is acknowledged,
/// with group commit: records that arrive while a batch is being written and fsynced are written
/// together by the next batch, so many appenders share one fsync.
///
/// Records are opaque single-line byte strings (see `JournalLine` for the framing). Each gets a
/// sequence number, strictly increasing by one, assigned when it is enqueued. All writes and
/// fsyncs happen on an `IOThread`, never on the cooperative pool.
///
/// Failure policy: if a write or fsync fails, the records of that batch and every record queued
/// behind it fail with the error, the file is cut back to its last durable length where possible,
/// and the journal refuses further appends (`.unusable`) until its owner calls
/// `resumeAfterFailure()`. The owner holds the failed records' changes in memory, so it must first
/// take them back (see `ThreatModelStore`); an owner that cannot simply never resumes, and closes
/// and reopens instead. On resume, sequence numbers continue right after the last durable record
/// (the file stays contiguous), and the next batch first reopens the file and cuts it back to the
/// last durable length with an fsync: after a failed fsync the kernel may have dropped the dirty
/// pages, so nothing written through the old descriptor is trusted. A full disk is thus
/// retryable: each later append tries again, and succeeds once space returns.
public final class Journal: Sendable {
    let options: StorageOptions
    let thread: IOThread
    let ownsThread: Bool
    let state: Mutex<State>
    /// The open file. Only jobs on `thread` touch it (one at a time); the lock is never contended.
    let file: Mutex<OpenFile>

    struct OpenFile {
        var fd: Int32
        var path: String
        /// File length after the last successful fsync: where a failed batch is cut back to.
        var durableLength: Int
        var isOpen = true
        /// A write or fsync failed: reopen and cut back to `durableLength` before writing again.
        var needsReset = false
    }

    enum Pending {
        case record(sequence: UInt64, bytes: [UInt8])
        /// Switch to a new file at this point of the stream (compaction); reports the last
        /// sequence number written to the old file.
        case rotate(path: String, completion: @Sendable (Result<UInt64, StorageError>) -> Void)
        case close(completion: @Sendable () -> Void)
    }

    struct Waiter {
        var sequence: UInt64
        var completion: @Sendable (Result<Void, StorageError>) -> Void
    }

    struct State {
        var pending: [Pending] = []
        var nextSequence: UInt64
        var durableSequence: UInt64
        var waiters: [Waiter] = []
        var flushScheduled = false
        var failure: StorageError?
        /// The last sequence number of the batch whose write caused `failure`: a waiter that
        /// registers after the failure gets that error itself up to here, `.unusable` beyond.
        var failedBatchLast: UInt64 = 0
        var closed = false
        var path: String
        var metrics = JournalMetrics()
    }

    /// Wraps an open append descriptor. `nextSequence`: the number the next record gets.
    init(
        fd: Int32, path: String, length: Int, nextSequence: UInt64, options: StorageOptions
    ) throws(StorageError) {
        self.options = options
        if let shared = options.journalThread {
            thread = shared
            ownsThread = false
        } else {
            thread = try IOThread(name: "tmi-journal")
            ownsThread = true
        }
        state = Mutex(State(nextSequence: nextSequence, durableSequence: nextSequence - 1, path: path))
        file = Mutex(OpenFile(fd: fd, path: path, durableLength: length))
    }

    /// A journal dropped without `close()` still releases its descriptor and its thread. (Queued
    /// work holds a reference, so this runs only once nothing is pending.)
    deinit {
        file.withLock { f in
            if f.isOpen { FileIO.close(f.fd) }
            f.isOpen = false
        }
        if ownsThread { thread.stop() }
    }

    /// The path of the file appends currently go to.
    public var path: String { state.withLock { $0.path } }
    /// The sequence number of the last record enqueued (0 before the first).
    public var lastSequence: UInt64 { state.withLock { $0.nextSequence - 1 } }
    /// The sequence number up to which every record is on disk.
    public var durableSequence: UInt64 { state.withLock { $0.durableSequence } }
    public var metrics: JournalMetrics { state.withLock { $0.metrics } }
    /// Open and not failed: an append now would be written (the server's `/readyz`).
    public var acceptsWrites: Bool { state.withLock { !$0.closed && $0.failure == nil } }

    /// After a failed write: accept appends again and return the last durable sequence number
    /// (every later one was failed and is forgotten; the numbers after it are handed out again).
    /// Nil when the journal has not failed, or is closed. Does no I/O: the next batch reopens and
    /// trims the file on the journal's thread.
    public func resumeAfterFailure() -> UInt64? {
        state.withLock { s -> UInt64? in
            guard s.failure != nil, !s.closed else { return nil }
            s.failure = nil
            s.nextSequence = s.durableSequence + 1
            return s.durableSequence
        }
    }

    /// While failed (and not closed): the last durable sequence number. Every record after it is
    /// lost, and nothing is appended until `resumeAfterFailure`.
    public var failedThrough: UInt64? {
        state.withLock { s in s.failure != nil && !s.closed ? s.durableSequence : nil }
    }

    /// Queues a record and returns its sequence number (the ticket for `waitDurable`). Does not
    /// block. Records reach the file in the order of `enqueue` calls, so an actor that enqueues
    /// while it mutates its state gets a journal in the order of its mutations.
    public func enqueue(_ record: [UInt8]) throws(StorageError) -> UInt64 {
        guard record.count <= options.maxRecordBytes else {
            throw .recordTooLarge(size: record.count, limit: options.maxRecordBytes)
        }
        guard !record.contains(UInt8(ascii: "\n")) else { throw .recordContainsNewline }
        var sequence: UInt64 = 0
        let schedule = try state.withLock { s throws(StorageError) -> Bool in
            try s.checkOpen()
            sequence = s.nextSequence
            s.nextSequence += 1
            s.metrics.appends += 1
            s.pending.append(.record(sequence: sequence, bytes: record))
            return s.scheduleFlush()
        }
        if schedule { submitFlush() }
        return sequence
    }

    /// Suspends until the record with this sequence number, and every one before it, is durable.
    /// Cancellation does not interrupt the wait: the record is written either way.
    public func waitDurable(_ sequence: UInt64) async throws(StorageError) {
        let result = await withCheckedContinuation {
            (c: CheckedContinuation<Result<Void, StorageError>, Never>) in
            register(sequence) { c.resume(returning: $0) }
        }
        try result.get()
    }

    /// `enqueue` then `waitDurable`: returns the record's sequence number once it is fsynced.
    /// `nonisolated(nonsending)`: the record is enqueued on the caller's actor before it suspends,
    /// so appends from one actor keep that actor's order.
    nonisolated(nonsending) public func append(_ record: [UInt8]) async throws(StorageError) -> UInt64 {
        let sequence = try enqueue(record)
        try await waitDurable(sequence)
        return sequence
    }

    /// Blocking `append` for start-up code that is not async. Never call it on the journal's own
    /// `IOThread` (it would wait for itself).
    @available(*, noasync, message: "blocks the thread; use append(_:) from async code")
    public func appendSync(_ record: [UInt8]) throws(StorageError) -> UInt64 {
        let sequence = try enqueue(record)
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, StorageError>?>(nil)
        register(sequence) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 ?? .success(()) }.get()
        return sequence
    }

    /// Writes what is queued, closes the file and (if the journal started it) ends its thread.
    /// Later calls fail with `.closed`.
    public func close() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            enqueueClose { c.resume() }
        }
    }

    @available(*, noasync, message: "blocks the thread; use close() from async code")
    public func closeSync() {
        let done = DispatchSemaphore(value: 0)
        enqueueClose { done.signal() }
        done.wait()
    }

    private func enqueueClose(_ completion: @escaping @Sendable () -> Void) {
        let schedule = state.withLock { s -> Bool? in
            guard !s.closed else { return nil }
            s.closed = true
            s.pending.append(.close(completion: completion))
            return s.scheduleFlush()
        }
        switch schedule {
        case nil: completion()
        case true?: submitFlush()
        case false?: break
        }
    }

    /// Queues a switch to a new file at the current point of the stream.
    func enqueueRotation(
        to path: String, _ completion: @escaping @Sendable (Result<UInt64, StorageError>) -> Void
    ) {
        let schedule = state.withLock { s -> Result<Bool, StorageError> in
            do throws(StorageError) { try s.checkOpen() } catch { return .failure(error) }
            s.pending.append(.rotate(path: path, completion: completion))
            return .success(s.scheduleFlush())
        }
        switch schedule {
        case .failure(let error): completion(.failure(error))
        case .success(true): submitFlush()
        case .success(false): break
        }
    }

    private func register(
        _ sequence: UInt64, _ completion: @escaping @Sendable (Result<Void, StorageError>) -> Void
    ) {
        let immediate = state.withLock { s -> Result<Void, StorageError>? in
            if sequence <= s.durableSequence { return .success(()) }
            if sequence >= s.nextSequence {
                return .failure(.invalidArgument("sequence \(sequence) was never enqueued on \(s.path)"))
            }
            if let failure = s.failure {
                return .failure(
                    sequence <= s.failedBatchLast ? failure : .unusable(path: s.path, cause: failure))
            }
            if s.closed && s.pending.isEmpty { return .failure(.closed(path: s.path)) }
            s.waiters.append(Waiter(sequence: sequence, completion: completion))
            return nil
        }
        if let immediate { completion(immediate) }
    }

    func submitFlush() {
        if !thread.submit({ [self] in flushOnce() }) {
            fail(with: .closed(path: "I/O thread \(thread.name)"))
        }
    }
}

extension Journal.State {
    func checkOpen() throws(StorageError) {
        if closed { throw .closed(path: path) }
        if let failure { throw .unusable(path: path, cause: failure) }
    }

    /// Marks a flush as scheduled; true when the caller must submit it.
    mutating func scheduleFlush() -> Bool {
        if flushScheduled { return false }
        flushScheduled = true
        return true
    }
}
