/// Limits, timers and negotiation choices of WebSocket connections, server or client side.
public struct WebSocketConfiguration: Sendable {
    /// Largest accepted frame payload; larger fails with 1009 before the payload is read.
    public var maxFrameSize = 1 << 20
    /// Largest accepted message (after inflation); larger fails with 1009.
    public var maxMessageSize = 4 << 20
    /// Bytes of encoded frames that may wait for the peer to read. A frame is always accepted into
    /// an empty outbox; past the limit the peer is closed with 1008, so a client that stops
    /// reading costs at most this much memory.
    public var outboxLimit = 4 << 20
    /// Received messages buffered for the application before the reader stops reading.
    public var inboxCapacity = 16
    /// Server side, for busy broadcasts: once the connection's I/O loop makes more than 25,000
    /// writes a second, a connection that wrote moments ago holds its next frames for a while,
    /// up to this much, and sends everything queued meanwhile in one write; the first frame after
    /// a pause goes out at once (`WebSocketWriteCoalescer`). 500 editors at 1 op/s each (a frame
    /// every 2 ms on every socket) then cost one system call per socket every few milliseconds
    /// instead of one per frame, on the server and on every reader (issue 15).
    /// Nil (the default): write at once.
    public var writeCoalescing: Duration? = nil
    /// The read buffer a connection goes back to between bursts. Small by default because every
    /// idle server socket holds one (issue 15); a client that receives a steady stream of frames
    /// (a load tester reading every broadcast of a busy diagram) sets it large, so one `read`
    /// takes many frames instead of two or three reads taking one.
    public var minimumReadBuffer = 256
    /// How long to wait for the peer's close frame after sending ours, and for our last frames
    /// to flush, before dropping the stream.
    public var closeTimeout: Duration = .seconds(10)
    /// Client side: the longest a TCP connect plus opening handshake may take. Past it the stream
    /// is closed and the handshake fails with `.stream(.timedOut)`: a server that accepts and
    /// never answers cannot hang a client.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Interval between keepalive pings; nil disables them.
    public var pingInterval: Duration? = .seconds(30)
    /// A ping not answered within this time closes the connection (1001).
    public var pongTimeout: Duration = .seconds(10)
    /// False makes binary messages fail the connection with 1003 (a text-only protocol).
    public var acceptsBinary = true
    /// permessage-deflate settings; nil disables compression.
    public var compression: PerMessageDeflateConfiguration? = PerMessageDeflateConfiguration()
    /// Subprotocols we speak, in our order of preference for a client, or the set a server
    /// accepts (the server picks the client's first one it supports, RFC 6455 §4.2.2).
    public var subprotocols: [String] = []
    /// Server side: decides from the `Origin` header (nil when absent) whether to accept the
    /// upgrade; a refusal is answered with 403 (RFC 6455 §4.2.2 point 4). Nil accepts every origin.
    public var acceptOrigin: (@Sendable (String?) -> Bool)?
    /// The clock for the close timeout and keepalive; tests inject a manual one.
    public var clock: any Clock<Duration> = ContinuousClock()

    public init() {}
}

/// A frame encoded once and shareable: broadcasting it to many connections queues the same
/// bytes (one reference-counted buffer) on each, with no re-encoding or copying.
///
/// It is encoded unmasked, as a server sends. Client connections re-encode it with a mask,
/// since §5.3 needs a fresh masking key per frame. It is never compressed: an uncompressed
/// message is always valid under permessage-deflate (RFC 7692 §6).
public struct EncodedFrame: Sendable {
    let bytes: [UInt8]
    let opcode: WebSocketOpcode
    let headerCount: Int

    public init(_ message: WebSocketMessage) {
        opcode = message.kind == .text ? .text : .binary
        headerCount = WebSocketFrameEncoder.headerSize(payloadCount: message.bytes.count, masked: false)
        bytes = WebSocketFrameEncoder.encode(opcode: opcode, payload: message.bytes)
    }

    public init(text: String) { self.init(.text(text)) }
    public init(binary: [UInt8]) { self.init(.binary(binary)) }

    /// Size on the wire.
    public var count: Int { bytes.count }

    var payload: ArraySlice<UInt8> { bytes[headerCount...] }
}
