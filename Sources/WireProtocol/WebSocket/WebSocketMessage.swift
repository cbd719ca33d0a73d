/// A complete data message (RFC 6455 §5.6): text, already validated as UTF-8, or binary.
///
/// Text is kept as bytes so a JSON parser can read it without a `String` round trip; `text`
/// decodes it on demand.
public struct WebSocketMessage: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case text
        case binary
    }

    public var kind: Kind
    public var bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    public static func text(_ string: String) -> WebSocketMessage {
        WebSocketMessage(kind: .text, bytes: Array(string.utf8))
    }

    public static func binary(_ bytes: [UInt8]) -> WebSocketMessage {
        WebSocketMessage(kind: .binary, bytes: bytes)
    }

    /// The text of a text message, nil for binary.
    public var text: String? {
        kind == .text ? String(decoding: bytes, as: UTF8.self) : nil
    }
}

/// The status carried by a close frame, or why the connection ended without one.
public struct WebSocketCloseInfo: Sendable, Equatable {
    /// The code received (or sent, when we closed first and the peer never answered). 1005 when a
    /// close frame carried no code, 1006 when the stream ended without a close frame (§7.1.5).
    public var code: WebSocketCloseCode
    public var reason: String
    /// True when the peer sent the first close frame.
    public var initiatedByPeer: Bool

    public init(code: WebSocketCloseCode, reason: String = "", initiatedByPeer: Bool) {
        self.code = code
        self.reason = reason
        self.initiatedByPeer = initiatedByPeer
    }
}

/// Parsing and validation of a received close frame body (RFC 6455 §5.5.1, §7.4).
enum WebSocketClosePayload {
    /// The code and reason, or nil code for an empty body.
    static func parse(_ payload: [UInt8]) throws(WebSocketError) -> (
        code: WebSocketCloseCode?, reason: String
    ) {
        if payload.isEmpty { return (nil, "") }
        // §5.5.1: if there is a body, its first two bytes are the code, so one byte is malformed.
        guard payload.count >= 2 else { throw .protocolViolation("close payload of one byte") }
        let code = WebSocketCloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidOnWire else { throw .protocolViolation("invalid close code \(code)") }
        let reason = payload[2...]
        // §5.5.1: the reason is UTF-8; §8.1 makes invalid UTF-8 a failure (1007).
        guard UTF8Validator.isValid(reason) else { throw .invalidUTF8 }
        return (code, String(decoding: reason, as: UTF8.self))
    }
}
