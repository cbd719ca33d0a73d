/// A JSON Pointer (RFC 6901): a path of reference tokens into a JSON document.
///
/// Tokens are kept unescaped. `""` is the whole document; every other pointer starts with `/`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public var tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses the string form. RFC 6901 §3: a non-empty pointer MUST start with `/`, and `~` MUST
    /// be followed by `0` or `1`. §4: `~1` is decoded before `~0`, so `~01` means the text `~1`.
    public init(_ text: String) throws(JSONPatchError) {
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw JSONPatchError(.malformed, "JSON Pointer '\(text)' must be empty or start with '/'")
        }
        var result: [String] = []
        for raw in text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        {
            guard raw.contains(UInt8(ascii: "~")) else {
                result.append(String(decoding: raw, as: UTF8.self))
                continue
            }
            var bytes: [UInt8] = []
            var it = raw.makeIterator()
            while let b = it.next() {
                guard b == UInt8(ascii: "~") else {
                    bytes.append(b)
                    continue
                }
                switch it.next() {
                case UInt8(ascii: "0"): bytes.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): bytes.append(UInt8(ascii: "/"))
                default:
                    throw JSONPatchError(
                        .malformed, "JSON Pointer '\(text)' has a '~' not followed by 0 or 1")
                }
            }
            result.append(String(decoding: bytes, as: UTF8.self))
        }
        tokens = result
    }

    /// The string form, with `~` written `~0` and `/` written `~1`.
    public var description: String {
        var out = ""
        for token in tokens {
            out += "/"
            out += token.replacing("~", with: "~0").replacing("/", with: "~1")
        }
        return out
    }

    public var isRoot: Bool { tokens.isEmpty }

    /// True when `self` is `other` or lies inside it.
    public func hasPrefix(_ other: JSONPointer) -> Bool {
        tokens.count >= other.tokens.count && Array(tokens.prefix(other.tokens.count)) == other.tokens
    }

    /// RFC 6901 §4: an array index is `0` or digits without a leading zero. Returns nil for
    /// anything else (including `-`, which callers handle themselves).
    static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, utf8.count <= 18 else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        var value = 0
        for b in utf8 {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }
}

extension JSONValue {
    /// The value a pointer refers to, or nil when there is none.
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var current = self
        for token in pointer.tokens {
            switch current {
            case .object(let o):
                guard let next = o[token] else { return nil }
                current = next
            case .array(let a):
                guard let i = JSONPointer.arrayIndex(token), i < a.count else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }
}
