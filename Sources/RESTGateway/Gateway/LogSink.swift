import Dispatch
import Glibc
import Synchronization

/// Where log lines go. Each call receives one complete line including the trailing newline.
public protocol LogSink: Sendable {
    func write(_ line: [UInt8])
}

/// Writes lines to standard error from a private dispatch queue, never from the caller's thread:
/// a `write(2)` can block when the reader of stderr is slow, and request tasks run on the
/// cooperative pool, which must not block (DESIGN §3).
///
/// Under load one write carries many lines: a drain is scheduled `coalescing` after the first
/// line of a batch, and two buffers are swapped between producers and the writer, so the steady
/// state costs one queue hop and one `write` per batch and no allocation.
public final class StandardErrorSink: LogSink {
    private struct State {
        var buffer: [UInt8] = []
        var spare: [UInt8] = []
        var scheduled = false
    }

    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "tmi.log.stderr")
    private let coalescing: DispatchTimeInterval
    private let descriptor: Int32

    /// - Parameters:
    ///   - descriptor: where to write (2, stderr, except in tests).
    ///   - coalescing: how long a line may wait for others to share its write.
    public init(descriptor: Int32 = 2, coalescing: DispatchTimeInterval = .milliseconds(2)) {
        self.descriptor = descriptor
        self.coalescing = coalescing
    }

    public func write(_ line: [UInt8]) {
        let schedule = state.withLock { s -> Bool in
            s.buffer.append(contentsOf: line)
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
        var out: [UInt8] = []
        state.withLock { s in
            s.scheduled = false
            swap(&out, &s.spare)  // out: the empty spare, keeping its capacity
            swap(&out, &s.buffer)  // out: the lines; producers continue in the spare
        }
        if out.isEmpty { return }
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
        // Keep the buffer for the next batch unless a burst made it unreasonably large.
        guard out.capacity <= 1 << 20 else { return }
        out.removeAll(keepingCapacity: true)
        state.withLock { s in
            if s.spare.capacity < out.capacity { swap(&s.spare, &out) }
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
