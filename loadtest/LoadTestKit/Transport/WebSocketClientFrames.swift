/// The client side of RFC 6455 framing, as much as a load tester needs: masked frames out,
/// unmasked frames in, fragmented messages reassembled, control frames surfaced. No extensions
/// are negotiated, so RSV bits must be clear.
public enum WebSocketClientFrames {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    public struct Frame: Sendable, Equatable {
        public var fin: Bool
        public var opcode: Opcode
        public var payload: [UInt8]
    }

    public enum ProtocolError: Error, Equatable, Sendable {
        case reservedBits, unknownOpcode(UInt8), maskedServerFrame, badControlFrame, tooLarge
    }

    /// A frame from the client: every client frame MUST be masked (RFC 6455 §5.3), with a mask
    /// key the server cannot predict; `maskKey` comes from the caller's generator.
    public static func encode(_ opcode: Opcode, _ payload: [UInt8], maskKey: UInt32, fin: Bool = true)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 14)
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        // Lengths: 7-bit, 16-bit or 64-bit, big-endian, minimal form (§5.2).
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out.append(0x80 | 126)
            out.append(UInt8(payload.count >> 8))
            out.append(UInt8(payload.count & 0xFF))
        } else {
            out.append(0x80 | 127)
            for i in (0..<8).reversed() {
                out.append(UInt8(truncatingIfNeeded: UInt64(payload.count) >> (UInt64(i) * 8)))
            }
        }
        let key = [
            UInt8(maskKey >> 24), UInt8(maskKey >> 16 & 0xFF), UInt8(maskKey >> 8 & 0xFF),
            UInt8(maskKey & 0xFF),
        ]
        out.append(contentsOf: key)
        for (i, byte) in payload.enumerated() { out.append(byte ^ key[i & 3]) }
        return out
    }

    /// Incremental decoder of server frames: feed bytes as they arrive, take frames while whole.
    public struct Decoder: Sendable {
        var buffer: [UInt8] = []
        var start = 0
        public var maxFrameSize = 16 * 1024 * 1024

        public init() {}

        public mutating func feed(_ bytes: ArraySlice<UInt8>) {
            if start > 0 && start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        public mutating func next() throws(ProtocolError) -> Frame? {
            let available = buffer.count - start
            guard available >= 2 else { return nil }
            let b0 = buffer[start], b1 = buffer[start + 1]
            guard b0 & 0x70 == 0 else { throw .reservedBits }
            guard let opcode = Opcode(rawValue: b0 & 0x0F) else { throw .unknownOpcode(b0 & 0x0F) }
            // A client MUST close the connection on a masked frame from the server (§5.1).
            guard b1 & 0x80 == 0 else { throw .maskedServerFrame }
            var length = Int(b1 & 0x7F)
            var header = 2
            if length == 126 {
                guard available >= 4 else { return nil }
                length = Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
                header = 4
            } else if length == 127 {
                guard available >= 10 else { return nil }
                var value: UInt64 = 0
                for i in 0..<8 { value = value << 8 | UInt64(buffer[start + 2 + i]) }
                guard value <= UInt64(maxFrameSize) else { throw .tooLarge }
                length = Int(value)
                header = 10
            }
            guard length <= maxFrameSize else { throw .tooLarge }
            let fin = b0 & 0x80 != 0
            // Control frames: at most 125 bytes and never fragmented (§5.5).
            if opcode.rawValue & 0x8 != 0 && (length > 125 || !fin) { throw .badControlFrame }
            guard available >= header + length else { return nil }
            let payload = Array(buffer[(start + header)..<(start + header + length)])
            start += header + length
            if start > 65536 && start * 2 > buffer.count {
                buffer.removeFirst(start)
                start = 0
            }
            return Frame(fin: fin, opcode: opcode, payload: payload)
        }
    }

    /// The handshake's expected `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2 step 5.4).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
    }
}
