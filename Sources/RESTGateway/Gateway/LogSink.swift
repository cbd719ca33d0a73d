import Dispatch
import Glibc
import Synchronization

/// Where log lines go. Each call receives one complete line including the trailing newline.
public protocol LogSink: Sendable {
    func write(_ line: [UInt8])
}

/// Writes lines to standard error from a private dispatch queue, never from the caller's thread:
/// a `write(2)` can block when the reader of stderr is slow, and request tasks run on the
/// cooperative pool, which must not block (DESIGN §3). Lines queued while a write is in progress
/// are coalesced into the next write.
public final class StandardErrorSink: LogSink {
    private let pending = Mutex<(buffer: [UInt8], scheduled: Bool)>(([], false))
    private let queue = DispatchQueue(label: "tmi.log.stderr")

    public init() {}

    public func write(_ line: [UInt8]) {
        let schedule = pending.withLock { state -> Bool in
            state.buffer.append(contentsOf: line)
            if state.scheduled { return false }
            state.scheduled = true
            return true
        }
        if schedule { queue.async { self.drain() } }
    }

    /// Blocks until every line written so far has reached stderr (at shutdown).
    public func flush() {
        queue.sync { self.drain() }
    }

    private func drain() {
        let bytes = pending.withLock { state -> [UInt8] in
            state.scheduled = false
            defer { state.buffer.removeAll(keepingCapacity: true) }
            return state.buffer
        }
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return  // stderr closed or broken: drop the line rather than spin.
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
