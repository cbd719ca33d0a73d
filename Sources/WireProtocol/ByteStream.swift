/// A bidirectional byte stream: a TCP connection, or an in-memory pipe in tests.
///
/// The HTTP server hands one to an upgrade handler (WebSocket) after a 101 response, with any
/// bytes it had already read past the request head available through `read` first.
public protocol ByteStream: AnyObject, Sendable {
    /// Reads up to `buffer.count` bytes into the start of `buffer`; returns the count,
    /// 0 at end of stream. Suspends (never blocks a thread) until data, EOF or error.
    func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int
    /// Writes every byte, suspending while the peer's window is full.
    func write(_ bytes: [UInt8]) async throws(StreamError)
    /// Writes several buffers in one system call where possible (`writev`).
    func write(vectored buffers: [[UInt8]]) async throws(StreamError)
    /// Writes as much of `buffers` as the stream takes without waiting, in order, and returns how
    /// many bytes that was (0 when it would have to wait). nil when this stream cannot write
    /// without suspending; the caller then uses `write(vectored:)` for all of it.
    func writeNow(vectored buffers: [[UInt8]]) throws(StreamError) -> Int?
    /// Closes both directions; pending and later operations fail with `.closed`.
    func close()
    /// Peer address for logs, e.g. "127.0.0.1:53122".
    var peerDescription: String { get }
}

extension ByteStream {
    public func write(vectored buffers: [[UInt8]]) async throws(StreamError) {
        for b in buffers { try await write(b) }
    }

    public func writeNow(vectored buffers: [[UInt8]]) throws(StreamError) -> Int? { nil }
}

/// Why a stream operation failed.
public enum StreamError: Error, Equatable, Sendable {
    /// The peer closed or reset the connection.
    case disconnected
    /// The stream was closed locally.
    case closed
    /// A deadline passed.
    case timedOut
    /// Any other system error, by errno.
    case system(Int32)
}
