import Dispatch
import FoundationEssentials
import Glibc
import Synchronization
import WireProtocol

/// Where log lines go. Each call receives one complete line including the trailing newline.
public protocol LogSink: Sendable {
    func write(_ line: [UInt8])
    /// An access-log entry to format and write; sinks with a writer thread format it there.
    func write(deferred entry: AccessLogEntry)
}

extension LogSink {
    /// Formats at once (sinks without a writer thread: tests, discarding).
    public func write(deferred entry: AccessLogEntry) {
        write(entry.line(timestamps: deferredTimestamps))
    }
}

/// Timestamp texts for entries formatted by sinks that keep no cache of their own.
let deferredTimestamps = MillisecondTimestampCache()

/// Writes lines to standard error in batches, and never makes the thread that logs wait for the
/// reader of stderr: a `write(2)` can block when that reader is slow, and neither an I/O loop nor
/// the cooperative pool may block (DESIGN §3).
///
/// A batch is written `coalescing` after its first line. When that line was logged on an I/O
/// loop (every access-log line is), the batch is written by that loop, on its own timer
/// (`Poller.runAfter`), through a `NonWaitingOutput`; only what stderr does not take at once is
/// handed to the writer thread, a private dispatch queue, which waits as long as it must. Lines
/// logged elsewhere are written by the writer thread. On this project's virtual machines a
/// thread woken for each batch, with the dispatch timer that woke it, cost the server about 5 % of
/// its request rate (benchmarks/perf.md, twelfth pass); a loop's own timer costs nothing while
/// the loop is busy. Two buffers are swapped between producers and the batch's writer, so the steady
/// state allocates only the formatted batch.
///
/// One batch is written at a time, in the order taken (`turn`): a loop that finds the turn taken
/// or stderr owed a remainder leaves its batch to the writer thread rather than wait.
///
/// Bounded: when the reader of stderr stops reading, the writer blocks in `write` and lines
/// accumulate; past `maxPending` bytes waiting, new lines are dropped and counted, and the next
/// batch written ends with one warning line giving the count. Memory stays bounded, and the gap
/// in the log is stated in the log.
public final class StandardErrorSink: LogSink {
    private struct State {
        var buffer: [UInt8] = []
        var spare: [UInt8] = []
        /// Access-log entries not yet formatted, packed (`AccessLogRecord`), each to be written
        /// after the `buffer.count` bytes of lines written before it (so a batch keeps its order).
        var records: [UInt8] = []
        var spareRecords: [UInt8] = []
        /// Whether a timer or the writer thread will write what is pending.
        var scheduled = false
        /// Lines dropped since the last batch because too much was waiting.
        var dropped = 0

        /// Whether a line of about `count` bytes may still wait; counts it as dropped if not.
        mutating func admits(_ count: Int, limit: Int) -> Bool {
            guard buffer.count + records.count + count <= limit else {
                dropped += 1
                return false
            }
            return true
        }

        /// Whether the line just added starts a batch, whose write the caller must schedule.
        mutating func startsBatch() -> Bool {
            if scheduled { return false }
            scheduled = true
            return true
        }
    }

    private let state = Mutex(State())
    /// Held while a batch is taken and written, so batches reach stderr whole and in order. The
    /// value: the rest of a batch a loop began and stderr did not take, which the writer thread
    /// writes before anything else.
    private let turn = Mutex<[UInt8]>([])
    private let queue = DispatchQueue(label: "tmi.log.stderr")
    private let coalescing: Duration
    private let output: NonWaitingOutput
    /// Timestamp texts of deferred entries (formatted by whoever holds `turn`).
    private let timestamps = MillisecondTimestampCache()
    private let maxPending: Int
    /// Batches written by the writer thread (tests: lines logged on a loop never need it).
    private let writerBatches = Atomic<Int>(0)

    /// - Parameters:
    ///   - descriptor: where to write (2, stderr, except in tests).
    ///   - coalescing: how long a line may wait for others to share its write (at most an hour).
    ///   - maxPending: the most bytes (lines and packed entries) waiting to be written.
    public init(descriptor: Int32 = 2, coalescing: Duration = .milliseconds(2), maxPending: Int = 32 << 20) {
        self.output = NonWaitingOutput(descriptor: descriptor)
        self.coalescing = min(max(coalescing, .zero), .seconds(3600))
        self.maxPending = maxPending
    }

    public func write(_ line: [UInt8]) {
        let starts = state.withLock { s -> Bool in
            guard s.admits(line.count, limit: maxPending) else { return false }
            s.buffer.append(contentsOf: line)
            return s.startsBatch()
        }
        if starts { scheduleBatch() }
    }

    /// Queues the entry; whoever writes the batch formats it there.
    public func write(deferred entry: AccessLogEntry) {
        let starts = state.withLock { s -> Bool in
            guard s.admits(AccessLogRecord.fixedSize, limit: maxPending) else { return false }
            AccessLogRecord.append(entry, offset: s.buffer.count, to: &s.records)
            return s.startsBatch()
        }
        if starts { scheduleBatch() }
    }

    /// Blocks until every line written so far has been written out (at shutdown).
    public func flush() {
        queue.sync { self.drain() }
    }

    /// How many batches the writer thread has written.
    var batchesWrittenByWriter: Int { writerBatches.load(ordering: .relaxed) }

    private func scheduleBatch() {
        if let loop = Poller.current, output.canWriteWithoutWaiting {
            loop.runAfter(coalescing) { self.writeBatchWithoutWaiting() }
        } else {
            let (seconds, attoseconds) = coalescing.components  // at most an hour: no overflow
            let delay = DispatchTimeInterval.nanoseconds(
                Int(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
            queue.asyncAfter(deadline: .now() + delay) { self.drain() }
        }
    }

    /// On the loop whose timer fired: writes the batch if the turn is free and stderr owes
    /// nothing, handing what stderr does not take at once to the writer thread; otherwise leaves
    /// the whole batch to the writer thread.
    private func writeBatchWithoutWaiting() {
        let written = turn.withLockIfAvailable { owed -> Bool in
            guard owed.isEmpty else { return false }
            guard let batch = takeBatch() else { return true }
            let left = batch.withUnsafeBytes { output.write($0) }
            if left > 0 {
                owed = Array(batch.suffix(left))
                queue.async { self.drain() }
            }
            return true
        }
        if written != true { queue.async { self.drain() } }
    }

    /// The writer thread: writes what a loop's batch left owing, then what is pending, waiting
    /// for stderr as long as it takes.
    private func drain() {
        turn.withLock { owed in
            if !owed.isEmpty {
                writeAll(owed)
                owed = []
                writerBatches.add(1, ordering: .relaxed)
            }
            guard let batch = takeBatch() else { return }
            writeAll(batch)
            writerBatches.add(1, ordering: .relaxed)
        }
    }

    /// Takes what is pending and formats it (holding `turn`): the plain lines with the access
    /// lines among them, and a warning if lines were dropped. Nil when nothing is pending.
    private func takeBatch() -> [UInt8]? {
        var lines: [UInt8] = []
        var records: [UInt8] = []
        let dropped = state.withLock { s -> Int in
            s.scheduled = false
            swap(&lines, &s.spare)  // lines: the empty spare, keeping its capacity
            swap(&lines, &s.buffer)  // lines: the batch; producers continue in the spare
            swap(&records, &s.spareRecords)
            swap(&records, &s.records)
            defer { s.dropped = 0 }
            return s.dropped
        }
        if dropped > 0 {
            lines += Logger.format(
                timestamp: timestamps.format(Date()), level: .warning,
                message: "log lines dropped: the reader of the log fell behind",
                fields: [("dropped", .number(Double(dropped)))])
        }
        defer {
            // Keep the buffers for the next batch unless a burst made them unreasonably large.
            lines.removeAll(keepingCapacity: lines.capacity <= 1 << 20)
            records.removeAll(keepingCapacity: records.capacity <= 1 << 20)
            state.withLock { s in
                if s.spare.capacity < lines.capacity { swap(&s.spare, &lines) }
                if s.spareRecords.capacity < records.capacity { swap(&s.spareRecords, &records) }
            }
        }
        if lines.isEmpty && records.isEmpty { return nil }
        // Format the entries here, off the request path, between the lines around them.
        return records.isEmpty
            ? lines : AccessLogRecord.format(records, between: lines, timestamps: timestamps)
    }

    /// Writes everything, waiting for stderr as long as it takes (the writer thread only).
    private func writeAll(_ out: [UInt8]) {
        out.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(output.descriptor, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr closed or broken: drop the lines rather than spin.
                }
            }
        }
    }
}

/// Keeps lines in memory, for tests that assert on what was logged.
public final class CapturingLogSink: LogSink {
    private let lines = Mutex<[String]>([])

    public init() {}

    public func write(_ line: [UInt8]) {
        var text = String(decoding: line, as: UTF8.self)
        if text.last == "\n" { text.removeLast() }
        lines.withLock { $0.append(text) }
    }

    /// Every line written so far, without newlines.
    public var captured: [String] { lines.withLock { $0 } }
}

/// Drops everything (tests that do not care about logs, benchmarks).
public struct DiscardingLogSink: LogSink {
    public init() {}
    public func write(_ line: [UInt8]) {}
}
