/// Encodes frames into wire bytes (RFC 6455 §5.2).
///
/// A server sends unmasked frames and a client masks every frame with a fresh key (§5.1, §5.3).
/// Lengths use the shortest form, big-endian (§5.2: "the minimal number of bytes MUST be used").
enum WebSocketFrameEncoder {
    static func headerSize(payloadCount: Int, masked: Bool) -> Int {
        let base = payloadCount <= 125 ? 2 : (payloadCount <= 0xFFFF ? 4 : 10)
        return masked ? base + 4 : base
    }

    /// The whole frame, header plus payload (masked when `maskingKey` is given), in one array.
    static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, rsv1: Bool = false, payload: UnsafeRawBufferPointer,
        maskingKey: WebSocketMaskingKey? = nil
    ) -> [UInt8] {
        let count = payload.count
        let headerCount = headerSize(payloadCount: count, masked: maskingKey != nil)
        return [UInt8](unsafeUninitializedCapacity: headerCount + count) { out, initialized in
            var b0 = opcode.rawValue
            if fin { b0 |= 0x80 }
            if rsv1 { b0 |= 0x40 }
            out[0] = b0
            let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
            var i = 2
            if count <= 125 {
                out[1] = maskBit | UInt8(count)
            } else if count <= 0xFFFF {
                out[1] = maskBit | 126
                out[2] = UInt8(truncatingIfNeeded: count >> 8)
                out[3] = UInt8(truncatingIfNeeded: count)
                i = 4
            } else {
                out[1] = maskBit | 127
                for k in 0..<8 { out[2 + k] = UInt8(truncatingIfNeeded: UInt64(count) >> (56 - 8 * k)) }
                i = 10
            }
            if let key = maskingKey {
                for k in 0..<4 { out[i + k] = key[k] }
                i += 4
            }
            if count > 0, let src = payload.baseAddress, let dst = out.baseAddress {
                (dst + i).update(from: src.assumingMemoryBound(to: UInt8.self), count: count)
                if let key = maskingKey {
                    key.apply(
                        to: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[i...])),
                        phase: 0)
                }
            }
            initialized = headerCount + count
        }
    }

    static func encode(
        opcode: WebSocketOpcode, fin: Bool = true, rsv1: Bool = false, payload: [UInt8],
        maskingKey: WebSocketMaskingKey? = nil
    ) -> [UInt8] {
        payload.withUnsafeBytes {
            encode(opcode: opcode, fin: fin, rsv1: rsv1, payload: $0, maskingKey: maskingKey)
        }
    }

    static func encode(_ frame: WebSocketFrame, maskingKey: WebSocketMaskingKey? = nil) -> [UInt8] {
        encode(
            opcode: frame.opcode, fin: frame.fin, rsv1: frame.rsv1, payload: frame.payload,
            maskingKey: maskingKey)
    }

    /// A close frame body: the code big-endian, then the UTF-8 reason (§5.5.1).
    static func closePayload(code: WebSocketCloseCode?, reason: String) -> [UInt8] {
        guard let code else { return [] }
        var out: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        // A control payload is at most 125 bytes, so the reason at most 123; cut on a scalar edge.
        var reasonBytes = 0
        for scalar in reason.unicodeScalars {
            let n = String(scalar).utf8.count
            if reasonBytes + n > 123 { break }
            out.append(contentsOf: String(scalar).utf8)
            reasonBytes += n
        }
        return out
    }
}
