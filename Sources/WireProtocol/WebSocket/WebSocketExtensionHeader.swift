/// One extension from a `Sec-WebSocket-Extensions` header (RFC 6455 §9.1): a name and its
/// parameters in order, values unquoted.
struct WebSocketExtensionOffer: Sendable, Equatable {
    var name: String
    var parameters: [(name: String, value: String?)]

    static func == (a: WebSocketExtensionOffer, b: WebSocketExtensionOffer) -> Bool {
        a.name == b.name && a.parameters.count == b.parameters.count
            && zip(a.parameters, b.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Parses every field value in order: `ext; param; param=value, ext2 ...` (§9.1 grammar, with
    /// quoted-string values). Malformed elements are dropped rather than failing the request, so a
    /// bad offer only loses that offer.
    static func parse(_ values: [String]) -> [WebSocketExtensionOffer] {
        var offers: [WebSocketExtensionOffer] = []
        for value in values {
            for element in split(value, on: ",") {
                let parts = split(element, on: ";").map(trim)
                guard let name = parts.first, isToken(name) else { continue }
                var params: [(name: String, value: String?)] = []
                var valid = true
                for part in parts.dropFirst() {
                    if let eq = part.firstIndex(of: "=") {
                        let key = trim(String(part[..<eq]))
                        var raw = trim(String(part[part.index(after: eq)...]))
                        if raw.hasPrefix("\"") {
                            guard raw.count >= 2, raw.hasSuffix("\"") else {
                                valid = false
                                break
                            }
                            raw = unescape(String(raw.dropFirst().dropLast()))
                        }
                        guard isToken(key), isToken(raw) else {
                            valid = false
                            break
                        }
                        params.append((key, raw))
                    } else {
                        guard isToken(part) else {
                            valid = false
                            break
                        }
                        params.append((part, nil))
                    }
                }
                if valid { offers.append(WebSocketExtensionOffer(name: name, parameters: params)) }
            }
        }
        return offers
    }

    /// Splits on `separator` outside double quotes.
    private static func split(_ s: String, on separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for ch in s {
            if escaped {
                escaped = false
            } else if quoted && ch == "\\" {
                escaped = true
            } else if ch == "\"" {
                quoted.toggle()
            } else if ch == separator && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(ch)
        }
        parts.append(current)
        return parts.map(trim).filter { !$0.isEmpty }
    }

    private static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\t" { sub = sub.dropLast() }
        return String(sub)
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for ch in s {
            if !escaped && ch == "\\" {
                escaped = true
                continue
            }
            escaped = false
            out.append(ch)
        }
        return out
    }

    /// RFC 9110 §5.6.2 token characters.
    static func isToken(_ s: String) -> Bool {
        !s.isEmpty
            && s.utf8.allSatisfy { c in
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    true
                default: "!#$%&'*+-.^_`|~".utf8.contains(c)
                }
            }
    }
}
