import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

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

/// Writes lines to standard error from a private dispatch queue, never from the caller's thread:
/// a `write(2)` can block when the reader of stderr is slow, and request tasks run on the
/// cooperative pool, which must not block (DESIGN §3).
///
/// Under load one write carries many lines: a drain is scheduled `coalescing` after the first
/// line of a batch, and two buffers are swapped between producers and the writer, so the steady
/// state costs one queue hop and one `write` per batch and no allocation.
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
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "tmi.log.stderr")
    private let coalescing: DispatchTimeInterval
    private let descriptor: Int32
    /// Timestamp texts of deferred entries (only the writer's queue formats them).
    private let timestamps = MillisecondTimestampCache()
    private let maxPending: Int

    /// - Parameters:
    ///   - descriptor: where to write (2, stderr, except in tests).
    ///   - coalescing: how long a line may wait for others to share its write.
    ///   - maxPending: the most bytes (lines and packed entries) waiting to be written.
    public init(
        descriptor: Int32 = 2, coalescing: DispatchTimeInterval = .milliseconds(2), maxPending: Int = 32 << 20
    ) {
        self.descriptor = descriptor
        self.coalescing = coalescing
        self.maxPending = maxPending
    }

    public func write(_ line: [UInt8]) {
        let schedule = state.withLock { s -> Bool in
            guard s.admits(line.count, limit: maxPending) else { return false }
            s.buffer.append(contentsOf: line)
            if s.scheduled { return false }
            s.scheduled = true
            return true
        }
        if schedule { queue.asyncAfter(deadline: .now() + coalescing) { self.drain() } }
    }

    /// Queues the entry; the writer formats it with the batch it belongs to.
    public func write(deferred entry: AccessLogEntry) {
        let schedule = state.withLock { s -> Bool in
            guard s.admits(AccessLogRecord.fixedSize, limit: maxPending) else { return false }
            AccessLogRecord.append(entry, offset: s.buffer.count, to: &s.records)
            if s.scheduled { return false }
            s.scheduled = true
            return true
        }
        if schedule { queue.asyncAfter(deadline: .now() + coalescing) { self.drain() } }
    }

    /// Blocks until every line written so far has been written out (at shutdown).
    public func flush() {
        queue.sync { self.drain() }
    }

    private func drain() {
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
        if lines.isEmpty && records.isEmpty { return }
        if records.isEmpty {
            writeAll(lines)
        } else {
            // Format the entries here, on the writer's queue, between the lines around them.
            writeAll(AccessLogRecord.format(records, between: lines, timestamps: timestamps))
        }
        // Keep the buffers for the next batch unless a burst made them unreasonably large.
        lines.removeAll(keepingCapacity: lines.capacity <= 1 << 20)
        records.removeAll(keepingCapacity: records.capacity <= 1 << 20)
        state.withLock { s in
            if s.spare.capacity < lines.capacity { swap(&s.spare, &lines) }
            if s.spareRecords.capacity < records.capacity { swap(&s.spareRecords, &records) }
        }
    }

    private func writeAll(_ out: [UInt8]) {
        out.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
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
