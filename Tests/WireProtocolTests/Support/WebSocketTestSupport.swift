@testable import WireProtocol

/// Builders for raw frames as a peer would send them.
enum RawFrame {
    static let key = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)

    /// A frame as a client sends it (masked), with every header bit settable.
    static func client(
        _ opcode: UInt8, _ payload: [UInt8] = [], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = true
    ) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
        let mask: UInt8 = masked ? 0x80 : 0
        if payload.count <= 125 {
            out.append(mask | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(mask | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(mask | 127)
            for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> (56 - 8 * k))) }
        }
        if masked {
            out += [key[0], key[1], key[2], key[3]]
            out += payload.enumerated().map { $0.element ^ key[$0.offset] }
        } else {
            out += payload
        }
        return out
    }

    static func text(_ s: String, fin: Bool = true) -> [UInt8] { client(0x1, Array(s.utf8), fin: fin) }
    static func close(_ code: UInt16?, _ reason: [UInt8] = []) -> [UInt8] {
        guard let code else { return client(0x8) }
        return client(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
    }
}

/// Feeds bytes to a processor whole, byte by byte, or split at one offset, and collects what
/// comes out, so every test input is checked against every way TCP could cut it.
enum Feeding: CaseIterable, CustomStringConvertible {
    case whole
    case byteByByte

    var description: String { self == .whole ? "whole" : "byte-by-byte" }

    static func chunks(_ bytes: [UInt8], _ mode: Feeding) -> [[UInt8]] {
        switch mode {
        case .whole: [bytes]
        case .byteByByte: bytes.map { [$0] }
        }
    }

    static func split(_ bytes: [UInt8], at offset: Int) -> [[UInt8]] {
        [Array(bytes[..<offset]), Array(bytes[offset...])]
    }

    /// Runs the chunks through a processor; returns the events and the first failure.
    static func run(
        _ chunks: [[UInt8]], options: WebSocketInboundProcessor.Options
    ) -> ([WebSocketInboundProcessor.Event], WebSocketError?) {
        var processor = WebSocketInboundProcessor(options: options)
        var events: [WebSocketInboundProcessor.Event] = []
        for chunk in chunks {
            let (e, failure) = processor.process(chunk)
            events += e
            if let failure { return (events, failure) }
        }
        return (events, nil)
    }
}

extension WebSocketInboundProcessor.Options {
    static func make(
        role: WebSocketRole = .server, maxFrameSize: Int = 1 << 20, maxMessageSize: Int = 4 << 20,
        acceptsBinary: Bool = true, inflate: PerMessageDeflateRuntime.Side? = nil
    ) -> Self {
        .init(
            role: role, maxFrameSize: maxFrameSize, maxMessageSize: maxMessageSize,
            acceptsBinary: acceptsBinary,
            inflate: inflate)
    }
}

/// Decodes everything a server wrote (unmasked frames) into whole frames.
struct ServerOutputReader {
    private var decoder = WebSocketFrameDecoder(
        options: .init(role: .client, maxFrameSize: 1 << 30, allowsRSV1: true))
    private var current: WebSocketFrame?
    var frames: [WebSocketFrame] = []

    mutating func feed(_ bytes: [UInt8]) throws(WebSocketError) {
        var copy = bytes
        let count = copy.count
        try copy.withUnsafeMutableBytes { buf in
            Result { () throws(WebSocketError) in
                var position = 0
                while let event = try decoder.next(buf, position: &position, end: count) {
                    switch event {
                    case .control(let f): frames.append(f)
                    case .dataStart(let h):
                        current = WebSocketFrame(fin: h.fin, rsv1: h.rsv1, opcode: h.opcode)
                    case .dataPayload(let r): current?.payload += UnsafeRawBufferPointer(rebasing: buf[r])
                    case .dataEnd:
                        if let c = current { frames.append(c) }
                        current = nil
                    }
                }
            }
        }.get()
    }
}
