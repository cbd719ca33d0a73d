import Synchronization

/// An in-memory `ByteStream`: `makePair()` returns two connected ends, like a socket pair.
///
/// For tests of anything that speaks over a `ByteStream` (WebSocket, HTTP, sessions). Each
/// direction buffers at most `capacity` bytes; a writer beyond that suspends until the other end
/// reads, so a peer that stops reading is modelled faithfully.
public final class MemoryByteStream: ByteStream {
    /// One direction of the pair.
    final class Pipe: Sendable {
        struct State {
            var buffer: [UInt8] = []
            var head = 0
            /// The writing end closed: the reader sees EOF after draining.
            var writerClosed = false
            /// The reading end closed: writes fail, reads fail with `.closed`.
            var readerClosed = false
            var reader: CheckedContinuation<Void, Never>?
            var writers: [CheckedContinuation<Void, Never>] = []

            var available: Int { buffer.count - head }
        }
        let state = Mutex(State())
        let capacity: Int
        init(capacity: Int) { self.capacity = capacity }

        func wakeAll(_ s: inout State) {
            s.reader?.resume()
            s.reader = nil
            for w in s.writers { w.resume() }
            s.writers = []
        }
    }

    private let inbound: Pipe
    private let outbound: Pipe
    public let peerDescription: String

    init(inbound: Pipe, outbound: Pipe, peerDescription: String) {
        self.inbound = inbound
        self.outbound = outbound
        self.peerDescription = peerDescription
    }

    /// Two connected ends; what one writes the other reads.
    public static func makePair(capacity: Int = 1 << 20) -> (MemoryByteStream, MemoryByteStream) {
        let ab = Pipe(capacity: capacity)
        let ba = Pipe(capacity: capacity)
        return (
            MemoryByteStream(inbound: ba, outbound: ab, peerDescription: "memory:b"),
            MemoryByteStream(inbound: ab, outbound: ba, peerDescription: "memory:a")
        )
    }

    public func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int {
        guard !buffer.isEmpty else { return 0 }
        while true {
            enum Step {
                case data([UInt8])
                case eof
                case closed
                case wait
            }
            let step = inbound.state.withLock { s -> Step in
                if s.readerClosed { return .closed }
                if s.available > 0 {
                    let n = min(buffer.count, s.available)
                    let chunk = Array(s.buffer[s.head..<(s.head + n)])
                    s.head += n
                    if s.head == s.buffer.count {
                        s.buffer.removeAll(keepingCapacity: false)
                        s.head = 0
                    }
                    for w in s.writers { w.resume() }
                    s.writers = []
                    return .data(chunk)
                }
                return s.writerClosed ? .eof : .wait
            }
            switch step {
            case .data(let chunk):
                buffer.replaceSubrange(0..<chunk.count, with: chunk)
                return chunk.count
            case .eof: return 0
            case .closed: throw .closed
            case .wait:
                await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                    let ready = inbound.state.withLock { s -> Bool in
                        if s.readerClosed || s.writerClosed || s.available > 0 { return true }
                        s.reader = cont
                        return false
                    }
                    if ready { cont.resume() }
                }
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws(StreamError) {
        try await write(vectored: [bytes])
    }

    public func write(vectored buffers: [[UInt8]]) async throws(StreamError) {
        while true {
            enum Step {
                case done
                case failed(StreamError)
                case wait
            }
            let step = outbound.state.withLock { s -> Step in
                if s.writerClosed { return .failed(.closed) }
                if s.readerClosed { return .failed(.disconnected) }
                if s.available >= outbound.capacity { return .wait }
                for b in buffers { s.buffer.append(contentsOf: b) }
                s.reader?.resume()
                s.reader = nil
                return .done
            }
            switch step {
            case .done: return
            case .failed(let e): throw e
            case .wait:
                await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                    let ready = outbound.state.withLock { s -> Bool in
                        if s.writerClosed || s.readerClosed || s.available < outbound.capacity { return true }
                        s.writers.append(cont)
                        return false
                    }
                    if ready { cont.resume() }
                }
            }
        }
    }

    /// Closes both directions: the peer reads EOF after what was written, and its writes fail.
    public func close() {
        outbound.state.withLock { s in
            s.writerClosed = true
            outbound.wakeAll(&s)
        }
        inbound.state.withLock { s in
            s.readerClosed = true
            s.buffer = []
            s.head = 0
            inbound.wakeAll(&s)
        }
    }

    /// Bytes written by the other end and not yet read by this one.
    public var bufferedForReading: Int { inbound.state.withLock { $0.available } }
}
