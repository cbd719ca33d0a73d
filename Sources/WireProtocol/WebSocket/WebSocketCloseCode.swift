/// A close status code (RFC 6455 §7.4).
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = WebSocketCloseCode(1000)
    /// 1001: the endpoint is going away (server shutdown, or a peer that stopped answering pings).
    public static let goingAway = WebSocketCloseCode(1001)
    /// 1002: the peer broke the protocol.
    public static let protocolError = WebSocketCloseCode(1002)
    /// 1003: a message kind this endpoint does not accept (e.g. binary on a text-only endpoint).
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// 1005: no code was present. Never sent on the wire (§7.4.1).
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// 1006: the connection ended without a close frame. Never sent on the wire (§7.4.1).
    public static let abnormalClosure = WebSocketCloseCode(1006)
    /// 1007: a text message was not valid UTF-8 (§8.1).
    public static let invalidFramePayloadData = WebSocketCloseCode(1007)
    /// 1008: a policy was violated, e.g. the peer stopped reading and our outbox overflowed.
    public static let policyViolation = WebSocketCloseCode(1008)
    /// 1009: a frame or message exceeded the configured limit.
    public static let messageTooBig = WebSocketCloseCode(1009)
    /// 1010: the client expected an extension the server did not negotiate.
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    /// 1011: the server hit an unexpected condition.
    public static let internalError = WebSocketCloseCode(1011)
    /// 1012: the service is restarting; the client should reconnect (IANA registry). TMI sends it
    /// when a diagram's session moved to another node or a node-to-node link broke (DESIGN §11).
    public static let serviceRestart = WebSocketCloseCode(1012)

    /// Whether a peer may send this code in a close frame (§7.4.1, §7.4.2, IANA registry).
    ///
    /// 1004 is reserved, 1005/1006/1015 must never appear on the wire, 1016–2999 are unassigned,
    /// below 1000 is unused; 3000–4999 belong to libraries and applications.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var description: String { String(rawValue) }
}
