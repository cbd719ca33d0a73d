/// A fast serializer from `JSONValue` to UTF-8 bytes. With `sortedKeys` the output is
/// canonical (useful for comparisons and stable files).
extension JSONValue {
    public func serialized(sortedKeys: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        write(to: &out, sortedKeys: sortedKeys)
        return out
    }

    public func serializedString(sortedKeys: Bool = false) -> String {
        String(decoding: serialized(sortedKeys: sortedKeys), as: UTF8.self)
    }

    public func write(to out: inout [UInt8], sortedKeys: Bool) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): JSONValue.writeNumber(n, to: &out)
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(to: &out, sortedKeys: sortedKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            if sortedKeys {
                for k in o.keys.sorted() {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    JSONValue.writeString(k, to: &out)
                    out.append(UInt8(ascii: ":"))
                    o[k]!.write(to: &out, sortedKeys: true)
                }
            } else {
                for (k, v) in o {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    JSONValue.writeString(k, to: &out)
                    out.append(UInt8(ascii: ":"))
                    v.write(to: &out, sortedKeys: false)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeNumber(_ n: Double, to out: inout [UInt8]) {
        if !n.isFinite {
            out.append(contentsOf: "null".utf8)  // JSON has no NaN/Infinity
        } else if n == n.rounded(), abs(n) < 9_007_199_254_740_992 {
            out.append(contentsOf: String(Int64(n)).utf8)
        } else {
            out.append(contentsOf: "\(n)".utf8)
        }
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal (what `JSONValue.string(s).write` appends).
    public static func writeString(_ s: String, to out: inout [UInt8]) {
        var text = s
        text.withUTF8 { writeString(utf8: $0, to: &out) }
    }

    /// Appends the UTF-8 text `bytes` as a JSON string literal (as `writeString(_:to:)` does).
    public static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Copy runs of bytes that need no escape in one append each: byte-by-byte appends were
        // the largest serialization cost of a REST read (benchmarks/rest.md).
        var start = 0
        for i in bytes.indices {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
            appendEscaped(b, to: &out)
            start = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(UInt8(ascii: "\""))
    }

    /// RFC 8259 §7: the quote, the backslash and control characters must be escaped.
    private static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
    }
}
