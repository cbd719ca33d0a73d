import WireProtocol

/// Percent-decoding of path segments and query components (RFC 3986 §2.1).
///
/// Decoding is lenient: a `%` not followed by two hex digits is kept literally, and bytes that do
/// not form valid UTF-8 are replaced (U+FFFD). A malformed escape therefore never turns into a
/// different valid value; it simply fails to match a route or an id, which the handler reports.
enum PercentDecoding {
    /// Decodes `%XX` escapes; with `plusAsSpace`, `+` becomes a space, as in
    /// `application/x-www-form-urlencoded` query strings (WHATWG URL §5.1).
    static func decode(_ text: Substring, plusAsSpace: Bool = false) -> String {
        let utf8 = text.utf8
        // Fast path: nothing to decode (the common case for ids and static segments).
        if !utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(text)
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                let h1 = utf8.index(after: i)
                if h1 != utf8.endIndex {
                    let h2 = utf8.index(after: h1)
                    if h2 != utf8.endIndex, let hi = hexDigitValue(utf8[h1]), let lo = hexDigitValue(utf8[h2])
                    {
                        out.append(hi << 4 | lo)
                        i = utf8.index(after: h2)
                        continue
                    }
                }
                out.append(byte)
            } else if plusAsSpace && byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(byte)
            }
            i = utf8.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Parsing of a request's query component into name/value pairs.
public enum QueryString {
    /// Splits `a=1&b=x+y&c` into `["a": "1", "b": "x y", "c": ""]`. Names and values are
    /// percent-decoded with `+` as space; a repeated name keeps its first value (as
    /// `RequestContext.query` documents); empty pairs (`&&`) are skipped.
    public static func parse(_ query: Substring?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let eq = pair.firstIndex(of: "=") {
                name = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                name = pair
                value = ""
            }
            if name.isEmpty { continue }
            let key = PercentDecoding.decode(name, plusAsSpace: true)
            if result[key] == nil {
                result[key] = PercentDecoding.decode(value, plusAsSpace: true)
            }
        }
        return result
    }
}
