/// Byte classes of RFC 9110 §5.6 and small helpers shared by the parser and writer.
enum HTTPSyntax {
    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
    ///         / DIGIT / ALPHA
    ///
    /// As two 64-bit masks (bit n of `tokenLow` is byte n, of `tokenHigh` byte 64 + n) rather than
    /// a table: a global table is reached through a lazy-initialization check (`swift_once`) on
    /// every byte of every method and field name, 0.5 % of a JSON read's CPU (benchmarks/perf.md).
    /// `HTTPSyntaxFastPathTests` checks the masks against the grammar for all 256 bytes.
    static let tokenLow: UInt64 = 0x03FF_6CFA_0000_0000
    static let tokenHigh: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    @inline(__always) static func isToken(_ byte: UInt8) -> Bool {
        byte < 64 ? tokenLow >> byte & 1 != 0 : byte < 128 && tokenHigh >> (byte - 64) & 1 != 0
    }

    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    @inline(__always) static func isWhitespace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }

    /// field-vchar / SP / HTAB, obs-text included (RFC 9110 §5.5); no other control bytes.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 9 || (byte >= 32 && byte != 127)
    }

    /// Whether every byte of `buf[range]` may appear in a field value. Eight bytes at a time
    /// (SWAR): long values such as a ~1 KB bearer token are checked on every request, and the
    /// byte loop showed in issue 15's profile. A word with a byte below 0x20 (a tab, usually) or
    /// a DEL is looked at byte by byte.
    static func areFieldValueBytes(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let x = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // Nonzero exactly when some byte is below 0x20 / some byte is 0x7F.
            let control = (x &- 0x20 &* ones) & ~x & highs
            let y = x ^ (0x7F &* ones)
            let delete = (y &- ones) & ~y & highs
            if control | delete != 0 {
                for j in i..<(i + 8) where !isFieldValueByte(base[j]) { return false }
            }
            i += 8
        }
        while i < range.upperBound {
            if !isFieldValueByte(base[i]) { return false }
            i += 1
        }
        return true
    }

    static func string(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buf[range]), as: UTF8.self)
    }

    /// The comma-separated elements of every value of a list field, trimmed and lowercased.
    static func listElements(_ values: [String]) -> [String] {
        var out: [String] = []
        for value in values {
            for part in value.split(separator: ",", omittingEmptySubsequences: true) {
                let trimmed = part.trimmingWhitespace()
                if !trimmed.isEmpty { out.append(trimmed.lowercased()) }
            }
        }
        return out
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
