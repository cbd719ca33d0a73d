/// A metadata entry: a key/value pair attached to a threat model or anything under it.
public struct Metadata: Sendable, Hashable, JSONRepresentable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Most entries a `metadata` array embedded in an entity may hold; the spec sets no bound, but
    /// one body must not grow an entity without limit. (Bulk bodies: `BulkRequests.maxBulkItems`.)
    public static let maxEntries = 100

    public var json: JSONValue { ["key": .string(key), "value": .string(value)] }

    /// The spec's Metadata: `key` 1-256 of `[a-zA-Z0-9_./:-]`, `value` 1-1024 without `<>`.
    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Metadata {
        let r = try ObjectReader(json, pointer: pointer)
        let key = try r.string("key", required: true, minLength: 1, maxLength: 256, pattern: .metadataKey)
        let value = try parseValue(r)
        return Metadata(key: key ?? "", value: value)
    }

    /// The body of `PUT .../metadata/{key}`: `{"value": ...}`.
    public static func parseValueBody(_ json: JSONValue) throws(ValidationError) -> String {
        try parseValue(try ObjectReader(json))
    }

    static func parseValue(_ r: ObjectReader) throws(ValidationError) -> String {
        try r.string("value", required: true, minLength: 1, maxLength: 1024, pattern: .noAngleBrackets) ?? ""
    }

    /// A path-parameter key must follow the same rule as a key in a body.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.count <= 256 && TextPattern.metadataKey.matches(key)
    }

    /// A `metadata` array (nullable; nil when absent or null). Keys must be unique (DESIGN §10).
    public static func parseList(_ json: JSONValue?, pointer: String, maxItems: Int = maxEntries)
        throws(ValidationError) -> [Metadata]?
    {
        guard let json, !json.isNull else { return nil }
        guard let items = json.arrayValue else {
            throw ValidationError(pointer, .wrongType, "must be an array")
        }
        guard items.count <= maxItems else {
            throw ValidationError(pointer, .tooManyItems, "must have at most \(maxItems) items")
        }
        var seen = Set<String>()
        var out: [Metadata] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let entry = try parse(item, pointer: Pointer.join(pointer, i))
            guard seen.insert(entry.key).inserted else {
                throw ValidationError(
                    Pointer.join(Pointer.join(pointer, i), "key"), .duplicate,
                    "repeats the key '\(entry.key)'")
            }
            out.append(entry)
        }
        return out
    }
}

extension [Metadata] {
    public var json: JSONValue { .array(map(\.json)) }
}
