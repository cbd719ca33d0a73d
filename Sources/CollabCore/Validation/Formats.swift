/// String formats and patterns of the spec, as plain predicates over UTF-8 (no regex engine).
public enum Formats {
    /// `format: uuid` (RFC 9562 §4 text form, any case): 8-4-4-4-12 hex digits.
    public static func isUUID(_ s: String) -> Bool {
        let u = s.utf8
        guard u.count == 36 else { return false }
        for (i, b) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if b != UInt8(ascii: "-") { return false }
            } else if !isHex(b) {
                return false
            }
        }
        return true
    }

    static func isHex(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    /// `format: uri`: an absolute URI (RFC 3986 §4.3) — a scheme (§3.1: a letter, then letters,
    /// digits, `+`, `-`, `.`), a colon, and the rest made only of URI characters (§2: unreserved,
    /// reserved, and `%` followed by two hex digits). Spaces, quotes and `<>` are not URI characters.
    public static func isURI(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard let colon = u.firstIndex(of: UInt8(ascii: ":")), colon > 0, isAlpha(u[0]) else { return false }
        for b in u[1..<colon] where !(isAlpha(b) || isDigit(b) || b == 0x2B || b == 0x2D || b == 0x2E) {
            return false
        }
        var i = colon + 1
        guard i < u.count else { return false }
        while i < u.count {
            let b = u[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < u.count, isHex(u[i + 1]), isHex(u[i + 2]) else { return false }
                i += 3
                continue
            }
            guard uriCharacters.contains(b) else { return false }
            i += 1
        }
        return true
    }

    static let uriCharacters: Set<UInt8> = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=".utf8)

    static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// `format: byte`: base64 (RFC 4648 §4) with padding.
    public static func isBase64(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count % 4 == 0 else { return false }
        var padding = 0
        for (i, b) in u.enumerated() {
            if b == UInt8(ascii: "=") {
                guard i >= u.count - 2 else { return false }
                padding += 1
            } else {
                guard padding == 0, isAlpha(b) || isDigit(b) || b == 0x2B || b == 0x2F else { return false }
            }
        }
        return true
    }
}

/// The character patterns of the spec's string fields.
public enum TextPattern: Sendable, Equatable {
    /// `^[^<>"'&]*$` (names, owner, subjects).
    case noMarkupOrQuotes
    /// `^[^<>]*$` (descriptions, metadata values).
    case noAngleBrackets
    /// `^[a-zA-Z0-9_./:-]+$` (metadata keys).
    case metadataKey

    public func matches(_ s: String) -> Bool {
        switch self {
        case .noMarkupOrQuotes:
            return !s.utf8.contains { $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 || $0 == 0x26 }
        case .noAngleBrackets:
            return !s.utf8.contains { $0 == 0x3C || $0 == 0x3E }
        case .metadataKey:
            return !s.isEmpty
                && s.utf8.allSatisfy {
                    Formats.isAlpha($0) || Formats.isDigit($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2F
                        || $0 == 0x3A || $0 == 0x2D
                }
        }
    }

    var explanation: String {
        switch self {
        case .noMarkupOrQuotes: "must not contain < > \" ' or &"
        case .noAngleBrackets: "must not contain < or >"
        case .metadataKey: "may contain only letters, digits and _ . / : -"
        }
    }
}
