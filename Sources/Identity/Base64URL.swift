/// The URL-safe base64 alphabet without padding (RFC 4648 §5), as JWS and JWK use it
/// (RFC 7515 §2, "Base64url Encoding").
public enum Base64URL {
    private static let alphabet = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Reverse table: 0xFF marks a byte outside the alphabet.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            if let b1 { out.append(alphabet[Int((b1 & 0x0F) << 2 | (b2 ?? 0) >> 6)]) }
            if let b2 { out.append(alphabet[Int(b2 & 0x3F)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// Strict decoding: padding, whitespace, characters of the standard alphabet (`+`, `/`), an
    /// impossible length, or non-zero unused trailing bits are all rejected, so one byte string
    /// has exactly one accepted encoding and a tampered token cannot hide in "don't care" bits.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? { decode(bytes: Array(text.utf8)) }

    /// `decode(_:)` of the UTF-8 bytes of the text.
    static func decode(bytes input: some Collection<UInt8>) -> [UInt8]? {
        if input.count % 4 == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in input {
            let v = values[Int(c)]
            if v == 0xFF { return nil }
            accumulator = accumulator << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // RFC 4648 §3.5: the pad bits of the last quantum must be zero in canonical encoding.
        if accumulator != 0 { return nil }
        return out
    }
}
