/// `application/x-www-form-urlencoded` building (WHATWG URL §5.2) for redirects and form posts.
enum URLQuery {
    /// Percent-encodes everything but the RFC 3986 §2.3 unreserved characters.
    static func escape(_ text: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ items: [(String, String)]) -> String {
        items.map { escape($0.0) + "=" + escape($0.1) }.joined(separator: "&")
    }

    /// `url` with `items` added to its query, keeping any query it already has (RFC 6749 §3.1.2:
    /// the redirection endpoint's own query component MUST be retained). A fragment is dropped.
    static func append(_ items: [(String, String)], to url: String) -> String {
        let base = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return base + separator + encode(items)
    }
}
