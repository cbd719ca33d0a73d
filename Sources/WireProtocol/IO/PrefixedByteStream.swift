import Synchronization

/// A stream that first yields bytes already read from the underlying stream, then reads from it.
///
/// After a 101 response the HTTP parser may hold bytes past the request head (a client can send
/// its first WebSocket frame right behind the handshake); the upgrade handler must see them first.
public final class PrefixedByteStream: ByteStream {
    private let base: any ByteStream
    private let prefix: Mutex<[UInt8]>
    /// Where the upgraded connection's traffic is counted (the server's `/metrics` bytes).
    private let metrics: HTTPServerMetrics?

    public init(_ base: any ByteStream, prefix: [UInt8], metrics: HTTPServerMetrics? = nil) {
        self.base = base
        self.prefix = Mutex(prefix)
        self.metrics = metrics
    }

    public var peerDescription: String { base.peerDescription }

    public func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int {
        let capacity = buffer.count
        let pending: [UInt8] = prefix.withLock { bytes in
            guard !bytes.isEmpty else { return [] }
            let taken = Array(bytes.prefix(capacity))
            bytes.removeFirst(taken.count)
            return taken
        }
        if pending.isEmpty {
            let n = try await base.read(into: &buffer)
            metrics?.received(n)
            return n
        }
        buffer.replaceSubrange(0..<pending.count, with: pending)
        return pending.count
    }

    public func write(_ bytes: [UInt8]) async throws(StreamError) {
        metrics?.sent(bytes.count)
        try await base.write(bytes)
    }

    public func write(vectored buffers: [[UInt8]]) async throws(StreamError) {
        if let metrics { metrics.sent(buffers.reduce(0) { $0 + $1.count }) }
        try await base.write(vectored: buffers)
    }

    public func writeNow(vectored buffers: [[UInt8]]) throws(StreamError) -> Int? {
        let written = try base.writeNow(vectored: buffers)
        if let written { metrics?.sent(written) }
        return written
    }

    public func close() { base.close() }
}
