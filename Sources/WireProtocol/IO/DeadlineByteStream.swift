/// A `ByteStream` whose reads and writes take deadlines and that can half-close: what the HTTP
/// server and client need from a connection. Plain `TCPConnection` and `TLSConnection` both are
/// one, so HTTP, WebSocket upgrades and the client run unchanged over either.
public protocol DeadlineByteStream: ByteStream {
    /// Reads up to `buffer.count` bytes; 0 means end of stream. `.timedOut` past `deadline`.
    func read(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError) -> Int
    /// Writes every byte, failing with `.timedOut` if the peer stops reading until `deadline`.
    func write(_ bytes: [UInt8], deadline: IODeadline?) async throws(StreamError)
    /// Writes several buffers, in order, as one write where possible.
    func write(vectored buffers: [[UInt8]], deadline: IODeadline?) async throws(StreamError)
    /// Ends our direction (TLS: close_notify, then FIN) but keeps reading.
    func shutdownWrite() async
    var isClosed: Bool { get }
}

extension TCPConnection: DeadlineByteStream {}
