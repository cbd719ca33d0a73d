import CollabCore

/// Load-tool additions to CollabCore's SplitMix64 (`SeededRandom`): one independent stream per
/// editor, and UUIDs drawn from the stream so a seeded run replays exactly (`--seed`).
extension SeededRandom {
    /// A derived generator for sub-stream `index` (one per editor), independent of the others.
    public func fork(_ index: UInt64) -> SeededRandom {
        var copy = SeededRandom(seed: state ^ (index &* 0xD1B5_4A32_D192_ED03))
        _ = copy.next()
        return copy
    }

    /// A random version-4 UUID in lowercase text form, from this generator's stream.
    public mutating func uuid() -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let a = next(), b = next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (UInt64(i) * 8))
            bytes[i + 8] = UInt8(truncatingIfNeeded: b >> (UInt64(i) * 8))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40  // version 4 (RFC 9562 §5.4)
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        let hex: [Character] = Array("0123456789abcdef")
        var text = ""
        for (i, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(i) { text.append("-") }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return text
    }
}
