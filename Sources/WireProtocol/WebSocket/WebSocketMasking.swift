/// A 4-byte masking key (RFC 6455 §5.3), kept in wire order.
public struct WebSocketMaskingKey: Sendable, Equatable {
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) { bytes = (b0, b1, b2, b3) }

    /// A fresh key from the system's random source: §5.3 requires keys the peer cannot predict.
    public static func random() -> WebSocketMaskingKey {
        var rng = SystemRandomNumberGenerator()
        let v = rng.next() as UInt32
        return WebSocketMaskingKey(
            UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8),
            UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24))
    }

    public static func == (a: WebSocketMaskingKey, b: WebSocketMaskingKey) -> Bool {
        a.bytes.0 == b.bytes.0 && a.bytes.1 == b.bytes.1 && a.bytes.2 == b.bytes.2
            && a.bytes.3 == b.bytes.3
    }

    subscript(i: Int) -> UInt8 {
        switch i & 3 {
        case 0: bytes.0
        case 1: bytes.1
        case 2: bytes.2
        default: bytes.3
        }
    }

    /// XORs `buffer` in place with the key, starting at key byte `phase` (0–3), so a payload that
    /// arrives in pieces is unmasked piece by piece. Works on 64-bit words: a byte loop is ~20x
    /// slower on large frames.
    func apply(to buffer: UnsafeMutableRawBufferPointer, phase: Int) {
        let count = buffer.count
        guard count > 0, let base = buffer.baseAddress else { return }
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { w in
            for i in 0..<8 { w[i] = self[phase + i] }
        }
        var i = 0
        while i + 8 <= count {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            base.storeBytes(of: v ^ word, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            buffer[i] ^= self[phase + i]
            i += 1
        }
    }
}
