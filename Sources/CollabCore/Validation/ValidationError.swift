/// A request body that breaks a rule of the spec. Handlers render it as a 400 `invalid_input`
/// (or 422 for a patched diagram) with `details` = `{code, context: {field}, suggestion?}`, the
/// `details` shape of the spec's Error schema, so a client can point at the offending field.
public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Machine-readable reason, rendered as `details.code`.
    public enum Code: String, Sendable, Equatable {
        case required = "field_required"
        case notNullable = "field_not_nullable"
        case wrongType = "invalid_type"
        case tooShort = "too_short"
        case tooLong = "too_long"
        case pattern = "invalid_characters"
        case notInEnum = "invalid_value"
        case format = "invalid_format"
        case belowMinimum = "below_minimum"
        case aboveMaximum = "above_maximum"
        case tooManyItems = "too_many_items"
        case readOnly = "read_only_field"
        case unknownField = "unknown_field"
        case duplicate = "duplicate_value"
        case danglingReference = "invalid_reference"
    }

    /// JSON Pointer (RFC 6901) of the offending field within the request body.
    public var field: String
    public var code: Code
    /// What is wrong, without the field name (`must be one of Low, High`).
    public var reason: String
    public var suggestion: String?

    public init(_ field: String, _ code: Code, _ reason: String, suggestion: String? = nil) {
        self.field = field
        self.code = code
        self.reason = reason
        self.suggestion = suggestion
    }

    /// `"/threats/0/severity must be one of ..."`; for the root, just the reason.
    public var description: String {
        field.isEmpty ? "the body \(reason)" : "\(field) \(reason)"
    }

    /// The spec's Error `details` object: `{code, context: {field}, suggestion?}`.
    public var details: JSONValue {
        var o: [String: JSONValue] = ["code": .string(code.rawValue), "context": ["field": .string(field)]]
        if let suggestion { o["suggestion"] = .string(suggestion) }
        return .object(o)
    }
}

/// Builds JSON Pointers for nested fields.
enum Pointer {
    static func join(_ base: String, _ token: String) -> String {
        base + "/" + token.replacing("~", with: "~0").replacing("/", with: "~1")
    }

    static func join(_ base: String, _ index: Int) -> String {
        base + "/" + String(index)
    }
}
