/// Turns received bytes into messages and control events: the frame decoder plus message
/// reassembly (RFC 6455 §5.4), UTF-8 validation (§8.1), size limits and permessage-deflate
/// inflation (RFC 7692 §6.2).
///
/// Synchronous and free of I/O, so it is tested by feeding bytes; the connection's reader owns one.
struct WebSocketInboundProcessor {
    struct Options: Sendable {
        var role: WebSocketRole
        var maxFrameSize: Int
        var maxMessageSize: Int
        var acceptsBinary: Bool = true
        /// The inflater's parameters when permessage-deflate was negotiated.
        var inflate: PerMessageDeflateRuntime.Side?
    }

    enum Event: Sendable, Equatable {
        case message(WebSocketMessage)
        case ping([UInt8])
        case pong([UInt8])
        /// A valid close frame; nothing after it is processed (§5.5.1).
        case close(WebSocketCloseCode?, String)
    }

    let options: Options
    private var decoder: WebSocketFrameDecoder
    private var inflater: PerMessageDeflateDecompressor?
    // The message being reassembled.
    private var kind: WebSocketMessage.Kind?
    private var compressed = false
    private var frameIsFinal = false
    private var bytes: [UInt8] = []
    private var utf8 = UTF8Validator()
    private var closed = false

    init(options: Options) {
        self.options = options
        decoder = WebSocketFrameDecoder(
            options: .init(
                role: options.role, maxFrameSize: options.maxFrameSize, allowsRSV1: options.inflate != nil))
    }

    /// Processes `buffer[0..<count]` (unmasking it in place). Returns the events in order and, if
    /// the bytes broke a rule, the error that must fail the connection after those events.
    mutating func process(
        _ buffer: UnsafeMutableRawBufferPointer, count: Int
    ) -> (events: [Event], failure: WebSocketError?) {
        var events: [Event] = []
        guard !closed else { return (events, nil) }
        var position = 0
        do {
            while let event = try decoder.next(buffer, position: &position, end: count) {
                switch event {
                case .control(let frame):
                    switch frame.opcode {
                    case .ping: events.append(.ping(frame.payload))
                    case .pong: events.append(.pong(frame.payload))
                    default:
                        let (code, reason) = try WebSocketClosePayload.parse(frame.payload)
                        events.append(.close(code, reason))
                        closed = true
                        return (events, nil)
                    }
                case .dataStart(let header):
                    try startFrame(header)
                case .dataPayload(let range):
                    try appendPayload(UnsafeRawBufferPointer(rebasing: buffer[range]))
                case .dataEnd:
                    if let message = try endFrame() { events.append(.message(message)) }
                }
            }
        } catch {
            closed = true
            return (events, error)
        }
        return (events, nil)
    }

    /// Convenience for tests and small inputs.
    mutating func process(_ input: [UInt8]) -> (events: [Event], failure: WebSocketError?) {
        var copy = input
        let count = copy.count
        return copy.withUnsafeMutableBytes { process($0, count: count) }
    }

    private mutating func startFrame(_ header: WebSocketFrameHeader) throws(WebSocketError) {
        if header.opcode == .continuation {
            // §5.4: a continuation frame only continues a started message.
            guard kind != nil else { throw .protocolViolation("continuation without a message") }
            // RFC 7692 §6.1: RSV1 is set on the first frame of a message only.
            if header.rsv1 { throw .protocolViolation("RSV1 on a continuation frame") }
        } else {
            // §5.4: fragments of one message are not interleaved with another message.
            guard kind == nil else { throw .protocolViolation("new message inside a fragmented one") }
            kind = header.opcode == .text ? .text : .binary
            if kind == .binary && !options.acceptsBinary { throw .unsupportedData }
            compressed = header.rsv1
            utf8 = UTF8Validator()
            if compressed, inflater == nil, let side = options.inflate {
                inflater = try PerMessageDeflateDecompressor(
                    windowBits: side.maxWindowBits, noContextTakeover: side.noContextTakeover)
            }
        }
        frameIsFinal = header.fin
        if !compressed {
            // Refuse before buffering: the declared length alone would pass the message limit.
            guard bytes.count + header.length <= options.maxMessageSize else { throw .messageTooBig }
            // Reserve once per frame, growing geometrically: exact reservations per fragment
            // would copy the message again for every small fragment.
            let needed = bytes.count + header.length
            if needed > bytes.capacity { bytes.reserveCapacity(max(needed, bytes.capacity * 2)) }
        }
    }

    private mutating func appendPayload(_ chunk: UnsafeRawBufferPointer) throws(WebSocketError) {
        if compressed, let inflater {
            let before = bytes.count
            try inflater.inflate(chunk, into: &bytes, limit: options.maxMessageSize)
            try validateText(from: before)
        } else {
            // Validate before keeping the bytes, so bad text fails at the first bad byte even when
            // the rest of the frame has not arrived.
            if kind == .text, !utf8.validate(chunk) { throw .invalidUTF8 }
            bytes.append(contentsOf: chunk)
        }
    }

    private mutating func validateText(from start: Int) throws(WebSocketError) {
        guard kind == .text, start < bytes.count else { return }
        var validator = utf8
        let ok = bytes.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        utf8 = validator
        if !ok { throw .invalidUTF8 }
    }

    private mutating func endFrame() throws(WebSocketError) -> WebSocketMessage? {
        guard frameIsFinal, let kind else { return nil }
        if compressed, let inflater {
            let before = bytes.count
            try inflater.finishMessage(into: &bytes, limit: options.maxMessageSize)
            try validateText(from: before)
            if options.inflate?.noContextTakeover == true { self.inflater = nil }
        }
        // §8.1: a text message must end on a code point boundary.
        if kind == .text && !utf8.isAtBoundary { throw .invalidUTF8 }
        let message = WebSocketMessage(kind: kind, bytes: bytes)
        self.kind = nil
        bytes = []
        compressed = false
        return message
    }
}
