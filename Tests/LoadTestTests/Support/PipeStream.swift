import Synchronization
import WireProtocol

/// An in-memory `ByteStream` for client tests: the test pushes the server's bytes in and reads
/// back what the client wrote.
final class PipeStream: ByteStream {
    struct State {
        var incoming: [UInt8] = []
        var waiter: CheckedContinuation<Void, Never>?
        var eof = false
        var written: [UInt8] = []
        var closed = false
    }

    let state = Mutex(State())
    var peerDescription: String { "pipe" }

    func push(_ bytes: [UInt8]) {
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.incoming.append(contentsOf: bytes)
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume()
    }

    func pushEOF() {
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.eof = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume()
    }

    var written: [UInt8] { state.withLock { $0.written } }
    var isClosed: Bool { state.withLock { $0.closed } }

    func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int {
        while true {
            let chunk = state.withLock { s -> [UInt8]? in
                if !s.incoming.isEmpty {
                    let n = Swift.min(buffer.count, s.incoming.count)
                    defer { s.incoming.removeFirst(n) }
                    return Array(s.incoming[0..<n])
                }
                return s.eof || s.closed ? [] : nil
            }
            if let chunk {
                for (i, b) in chunk.enumerated() { buffer[i] = b }
                return chunk.count
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.incoming.isEmpty || s.eof || s.closed { return true }
                    s.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
        }
    }

    func write(_ bytes: [UInt8]) async throws(StreamError) {
        try state.withLock { s throws(StreamError) in
            guard !s.closed else { throw .closed }
            s.written.append(contentsOf: bytes)
        }
    }

    func close() {
        let w = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume()
    }
}
