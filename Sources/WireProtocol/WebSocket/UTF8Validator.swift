/// Incremental UTF-8 validation (RFC 3629 §4) that can stop at the first bad byte.
///
/// RFC 6455 §8.1 requires failing the connection as soon as text is known to be invalid, and a
/// text message may arrive in many frames that split a code point anywhere, so the validator keeps
/// the state of an unfinished sequence between calls. Overlong forms, surrogates (U+D800–DFFF) and
/// code points above U+10FFFF are rejected by narrowing the range of the first continuation byte.
struct UTF8Validator: Sendable, Equatable {
    /// Continuation bytes still expected for the current code point.
    private var remaining: UInt8 = 0
    /// Allowed range of the next continuation byte.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    init() {}

    /// True when no code point is left unfinished: a message may end here.
    var isAtBoundary: Bool { remaining == 0 }

    /// Validates the next bytes; false at the first byte that cannot be part of valid UTF-8.
    mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return true }
        var i = 0
        while i < count {
            if remaining == 0 {
                // ASCII fast path: 8 bytes at a time while no high bit is set.
                while i + 8 <= count,
                    base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    i += 8
                }
                guard i < count else { return true }
                let b = bytes[i]
                i += 1
                if b < 0x80 { continue }
                switch b {
                case 0xC2...0xDF: (remaining, lower, upper) = (1, 0x80, 0xBF)
                case 0xE0: (remaining, lower, upper) = (2, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: (remaining, lower, upper) = (2, 0x80, 0xBF)
                case 0xED: (remaining, lower, upper) = (2, 0x80, 0x9F)
                case 0xF0: (remaining, lower, upper) = (3, 0x90, 0xBF)
                case 0xF1...0xF3: (remaining, lower, upper) = (3, 0x80, 0xBF)
                case 0xF4: (remaining, lower, upper) = (3, 0x80, 0x8F)
                default: return false
                }
            } else {
                let b = bytes[i]
                guard b >= lower && b <= upper else { return false }
                remaining -= 1
                (lower, upper) = (0x80, 0xBF)
                i += 1
            }
        }
        return true
    }

    mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Whole-buffer check, e.g. for a close reason.
    static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        var v = UTF8Validator()
        return Array(bytes).withUnsafeBytes { v.validate($0) } && v.isAtBoundary
    }
}
