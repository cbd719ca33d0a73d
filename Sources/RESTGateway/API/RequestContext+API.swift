import CollabCore
import WireProtocol

/// Request helpers shared by the REST handlers.
extension RequestContext {
    /// A path parameter that must be a UUID (DESIGN §10: malformed → 400 `invalid_id`), lowercased.
    public func uuidParameter(_ name: String) throws(APIError) -> String {
        guard let raw = pathParameters[name], let id = UUIDText.normalized(raw) else {
            throw APIError.invalidID(name)
        }
        return id
    }

    /// `limit`/`offset` query parameters. Text that is not an integer is 400. Any non-negative
    /// offset is valid, however large (a page past the end is empty, not an error). With
    /// `clamping` (a list whose spec declares no bounds and no 400, e.g. `GET /threat_models`) an
    /// out-of-range limit or offset is pulled into range; without it, a limit outside
    /// 1...`maxLimit` or a negative offset (the spec's `minimum`/`maximum`) is 400.
    public func pagination(defaultLimit: Int = 20, maxLimit: Int = 100, clamping: Bool = false)
        throws(APIError) -> (limit: Int, offset: Int)
    {
        func int(_ name: String, _ def: Int, _ range: ClosedRange<Int>) throws(APIError) -> Int {
            guard let raw = query[name] else { return def }
            guard let v = Self.saturatingInteger(raw) else {
                throw APIError.badRequest(
                    "\(name) must be an integer", details: ["context": ["parameter": .string(name)]])
            }
            if range.contains(v) { return v }
            if clamping { return min(max(v, range.lowerBound), range.upperBound) }
            throw APIError.badRequest(
                "\(name) must be an integer of at least \(range.lowerBound)"
                    + (range.upperBound < Int.max ? " and at most \(range.upperBound)" : ""),
                details: ["context": ["parameter": .string(name)]])
        }
        return (try int("limit", defaultLimit, 1...maxLimit), try int("offset", 0, 0...Int.max))
    }

    /// An optionally signed run of ASCII digits, saturated to ±(2^53 − 1); nil for anything else.
    /// The spec's `integer` has no format, so any length is valid; the bound is the range JSON
    /// numbers interoperate in (RFC 8259 §6), so an offset echoed in `pagination` stays an
    /// integer for every client instead of turning into `1e+18`.
    static func saturatingInteger(_ raw: String) -> Int? {
        let limit = 9_007_199_254_740_991
        var digits = Substring(raw)
        let negative = digits.first == "-"
        if negative || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        let magnitude = min(Int(digits) ?? limit, limit)
        return negative ? -magnitude : magnitude
    }

    /// The JSON body, which must be an array of at most `maxItems` elements.
    public func jsonArrayBody(maxItems: Int) throws(APIError) -> [JSONValue] {
        guard let a = try jsonBody().arrayValue else {
            throw APIError.badRequest("the request body must be a JSON array")
        }
        guard !a.isEmpty else { throw APIError.badRequest("the array must not be empty") }
        guard a.count <= maxItems else {
            throw APIError.badRequest("at most \(maxItems) items may be sent at once (got \(a.count))")
        }
        return a
    }
}

/// UUID text checks without Foundation.
public enum UUIDText {
    /// The lowercase canonical form of a UUID string, or nil if it is not one.
    public static func normalized(_ s: String) -> String? {
        guard s.utf8.count == 36 else { return nil }
        var text = s
        // Checked on the string's own bytes; one already in canonical form (every id we issue)
        // is returned as it is, with no copy.
        let verdict = text.withUTF8 { u -> Bool? in
            var upper = false
            for i in 0..<36 {
                let c = u[i]
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard c == UInt8(ascii: "-") else { return nil }
                    continue
                }
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): break
                case UInt8(ascii: "A")...UInt8(ascii: "F"): upper = true
                default: return nil
                }
            }
            return upper
        }
        guard let upper = verdict else { return nil }
        return upper ? s.lowercased() : s
    }

    /// A random (version 4) UUID in lowercase canonical form.
    public static func random() -> String {
        var g = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for (i, b) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
