/// Why a WebSocket connection failed or an operation was refused.
///
/// Every protocol failure maps to exactly one close code in `closeCode`, the one place where errors
/// become wire codes.
public enum WebSocketError: Error, Sendable, Equatable {
    /// The peer broke RFC 6455 or RFC 7692 framing rules.
    case protocolViolation(String)
    /// A text message or close reason was not valid UTF-8 (RFC 6455 §8.1).
    case invalidUTF8
    /// A frame, message or inflated message exceeded its limit.
    case messageTooBig
    /// A message kind the endpoint does not accept.
    case unsupportedData
    /// A local policy was violated, e.g. the outbox overflowed because the peer stopped reading.
    case policyViolation(String)
    /// An unexpected local failure (e.g. zlib reported an error while compressing).
    case internalError(String)
    /// The connection is closing or closed; nothing more can be sent.
    case connectionClosed
    /// The client opening handshake was refused or malformed.
    case handshakeFailed(String)
    /// The underlying byte stream failed.
    case stream(StreamError)

    /// The close code that reports this error to the peer.
    public var closeCode: WebSocketCloseCode {
        switch self {
        case .protocolViolation, .handshakeFailed: .protocolError
        case .invalidUTF8: .invalidFramePayloadData
        case .messageTooBig: .messageTooBig
        case .unsupportedData: .unsupportedData
        case .policyViolation: .policyViolation
        case .internalError, .stream: .internalError
        case .connectionClosed: .normalClosure
        }
    }

    /// A short reason for the close frame (≤ 123 bytes, §5.5).
    var closeReason: String {
        switch self {
        case .protocolViolation(let why), .policyViolation(let why), .internalError(let why),
            .handshakeFailed(let why):
            String(why.utf8.prefix(100)) ?? ""
        case .invalidUTF8: "invalid UTF-8"
        case .messageTooBig: "message too big"
        case .unsupportedData: "unsupported data"
        case .connectionClosed: ""
        case .stream: "stream error"
        }
    }
}
