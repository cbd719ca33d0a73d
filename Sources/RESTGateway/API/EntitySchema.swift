import CollabCore

/// How one kind of entity is read from request bodies and rendered into responses. One
/// mechanism serves create, replace and patch for every kind (DESIGN §1, §10):
/// - create: a read-only field in the body is 400;
/// - replace: a read-only field equal to the stored (rendered) value is ignored, a different one 400;
/// - patch: the JSON Patch is applied to the rendered entity, then handled as a replace.
public protocol EntitySchema: Sendable {
    /// Name used in messages ("threat", "document", ...).
    var noun: String { get }
    /// Top-level fields that clients may not set.
    var readOnlyFields: Set<String> { get }
    /// Fields refused on create; by default the read-only ones.
    var createForbiddenFields: Set<String> { get }
    /// Validates the writable fields of an input object (read-only fields and `metadata`
    /// already removed) and returns the fields to store.
    func validate(_ input: [String: JSONValue]) throws(APIError) -> [String: JSONValue]
}

extension EntitySchema {
    public var createForbiddenFields: Set<String> { readOnlyFields }

    /// Splits a create body into stored fields and metadata, refusing read-only fields.
    public func parseCreate(_ body: [String: JSONValue]) throws(APIError) -> (
        fields: [String: JSONValue], metadata: [(String, String)]?
    ) {
        for key in body.keys.sorted() where createForbiddenFields.contains(key) {
            throw APIError.badRequest(
                "\(key) is read-only and cannot be set when creating a \(noun)",
                details: ["code": "read_only_field", "context": ["field": .string("/\(key)")]])
        }
        var input = body
        let metadata = try Self.parseMetadata(input.removeValue(forKey: "metadata"))
        return (try validate(input), metadata)
    }

    /// Splits a replace body, accepting read-only fields only when they equal `current`'s.
    public func parseReplace(_ body: [String: JSONValue], current: [String: JSONValue]) throws(APIError) -> (
        fields: [String: JSONValue], metadata: [(String, String)]?
    ) {
        var input = body
        for key in body.keys.sorted() where readOnlyFields.contains(key) {
            guard body[key] == current[key] else {
                throw APIError.badRequest(
                    "\(key) is read-only and cannot be changed",
                    details: ["code": "read_only_field", "context": ["field": .string("/\(key)")]])
            }
            input[key] = nil
        }
        let metadata = try Self.parseMetadata(input.removeValue(forKey: "metadata"))
        return (try validate(input), metadata)
    }

    /// Validates a `metadata` array of `{key, value}`; nil when absent or null.
    public static func parseMetadata(_ value: JSONValue?) throws(APIError) -> [(String, String)]? {
        guard let value, !value.isNull else { return nil }
        guard let items = value.arrayValue else { throw APIError.badRequest("metadata must be an array") }
        guard items.count <= MetadataRules.maxEntries else {
            throw APIError.badRequest("at most \(MetadataRules.maxEntries) metadata entries are allowed")
        }
        var out: [(String, String)] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            let (k, v) = try MetadataRules.validate(item, pointer: "/metadata/\(i)")
            guard seen.insert(k).inserted else { throw APIError.badRequest("duplicate metadata key \(k)") }
            out.append((k, v))
        }
        return out
    }
}

/// The spec's rules for a `Metadata` entry.
public enum MetadataRules {
    public static let maxEntries = 100

    public static func validate(_ item: JSONValue, pointer: String = "") throws(APIError) -> (String, String)
    {
        guard let o = item.objectValue else { throw fieldError(pointer, "must be an object {key, value}") }
        for k in o.keys where k != "key" && k != "value" {
            throw fieldError("\(pointer)/\(k)", "is not a metadata field")
        }
        guard let key = o["key"]?.stringValue else {
            throw fieldError("\(pointer)/key", "is required (string)")
        }
        guard let value = o["value"]?.stringValue else {
            throw fieldError("\(pointer)/value", "is required (string)")
        }
        try validateKey(key, pointer: "\(pointer)/key")
        try validateValue(value, pointer: "\(pointer)/value")
        return (key, value)
    }

    /// Key: 1-256 characters of `[a-zA-Z0-9_./:-]`.
    public static func validateKey(_ key: String, pointer: String = "/key") throws(APIError) {
        guard (1...256).contains(key.utf8.count),
            key.utf8.allSatisfy({
                ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122)
                    || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/")
                    || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "-")
            })
        else { throw fieldError(pointer, "must be 1-256 characters of letters, digits and _ . / : -") }
    }

    /// Value: 1-1024 characters without `<` or `>`.
    public static func validateValue(_ value: String, pointer: String = "/value") throws(APIError) {
        guard (1...1024).contains(value.count), !value.contains("<"), !value.contains(">") else {
            throw fieldError(pointer, "must be 1-1024 characters without < or >")
        }
    }

    static func fieldError(_ pointer: String, _ message: String) -> APIError {
        APIError.badRequest(
            "\(pointer) \(message)",
            details: ["code": "invalid_field", "context": ["field": .string(pointer)]])
    }
}
