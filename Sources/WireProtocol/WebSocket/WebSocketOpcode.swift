/// The frame opcode (RFC 6455 §5.2, §11.8).
///
/// Values 0x3–0x7 and 0xB–0xF are reserved; a frame carrying one fails the connection (§5.2:
/// "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_").
public enum WebSocketOpcode: UInt8, Sendable, Equatable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames are the opcodes with the high bit set (§5.5).
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// One WebSocket frame with its payload already unmasked.
public struct WebSocketFrame: Sendable, Equatable {
    public var fin: Bool
    /// RSV1 marks the first frame of a compressed message under permessage-deflate (RFC 7692 §6).
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    public var opcode: WebSocketOpcode
    public var payload: [UInt8]

    public init(
        fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false,
        opcode: WebSocketOpcode, payload: [UInt8] = []
    ) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.payload = payload
    }
}

/// Which end of the connection we are: it decides the masking rule (RFC 6455 §5.1).
public enum WebSocketRole: Sendable, Equatable {
    /// Receives masked frames, sends unmasked ones.
    case server
    /// Sends masked frames, receives unmasked ones.
    case client
}
