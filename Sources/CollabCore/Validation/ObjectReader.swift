/// Reads the fields of one JSON object by the spec's rules, failing with the JSON Pointer of the
/// first field that breaks one. Absent and (where the spec says `nullable`) null both read as nil.
public struct ObjectReader: Sendable {
    public let object: [String: JSONValue]
    /// Pointer of this object within the request body (`""` for the body itself).
    public let pointer: String

    public init(_ value: JSONValue, pointer: String = "") throws(ValidationError) {
        guard let object = value.objectValue else {
            throw ValidationError(pointer, .wrongType, "must be a JSON object")
        }
        self.object = object
        self.pointer = pointer
    }

    public init(object: [String: JSONValue], pointer: String = "") {
        self.object = object
        self.pointer = pointer
    }

    public func path(_ key: String) -> String { Pointer.join(pointer, key) }

    /// The raw value: nil when absent or an allowed null; an error when required and missing,
    /// or null where the spec does not allow it.
    public func value(_ key: String, required: Bool = false, nullable: Bool = false) throws(ValidationError)
        -> JSONValue?
    {
        guard let v = object[key] else {
            if required { throw ValidationError(path(key), .required, "is required") }
            return nil
        }
        if v.isNull {
            if nullable && !required { return nil }
            throw ValidationError(path(key), .notNullable, "must not be null")
        }
        return v
    }

    /// A string with the spec's `minLength`/`maxLength` (counted in Unicode code points, as JSON
    /// Schema counts them) and character pattern.
    public func string(
        _ key: String, required: Bool = false, nullable: Bool = false, minLength: Int = 0,
        maxLength: Int? = nil,
        pattern: TextPattern? = nil
    ) throws(ValidationError) -> String? {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let s = v.stringValue else { throw ValidationError(path(key), .wrongType, "must be a string") }
        try Self.check(s, at: path(key), minLength: minLength, maxLength: maxLength, pattern: pattern)
        return s
    }

    static func check(_ s: String, at field: String, minLength: Int, maxLength: Int?, pattern: TextPattern?)
        throws(ValidationError)
    {
        // Byte count bounds the code-point count from above, so most strings skip the count.
        if minLength > 0 || (maxLength.map { s.utf8.count > $0 } ?? false) {
            let length = s.unicodeScalars.count
            if length < minLength {
                throw ValidationError(
                    field, .tooShort,
                    minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters")
            }
            if let maxLength, length > maxLength {
                throw ValidationError(field, .tooLong, "must be at most \(maxLength) characters")
            }
        }
        if let pattern, !pattern.matches(s) {
            throw ValidationError(field, .pattern, pattern.explanation)
        }
    }

    /// A string that must be one of `E`'s raw values.
    public func enumValue<E: RawRepresentable & CaseIterable>(
        _ key: String, _ type: E.Type, required: Bool = false, nullable: Bool = false
    ) throws(ValidationError) -> E? where E.RawValue == String {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let s = v.stringValue else { throw ValidationError(path(key), .wrongType, "must be a string") }
        guard let e = E(rawValue: s) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError(path(key), .notInEnum, "must be one of \(allowed)")
        }
        return e
    }

    /// A number within the spec's inclusive `minimum`/`maximum`.
    public func number(
        _ key: String, required: Bool = false, nullable: Bool = false, minimum: Double? = nil,
        maximum: Double? = nil
    ) throws(ValidationError) -> Double? {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let n = v.doubleValue else { throw ValidationError(path(key), .wrongType, "must be a number") }
        try Self.check(n, at: path(key), minimum: minimum, maximum: maximum)
        return n
    }

    static func check(_ n: Double, at field: String, minimum: Double?, maximum: Double?)
        throws(ValidationError)
    {
        if let minimum, n < minimum {
            throw ValidationError(
                field, .belowMinimum, "must be at least \(JSONValue.number(minimum).serializedString())")
        }
        if let maximum, n > maximum {
            throw ValidationError(
                field, .aboveMaximum, "must be at most \(JSONValue.number(maximum).serializedString())")
        }
    }

    /// A whole number (`type: integer`) that fits an `Int64`.
    public func integer(_ key: String, required: Bool = false, nullable: Bool = false, minimum: Int64? = nil)
        throws(ValidationError) -> Int64?
    {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let n = v.doubleValue, n == n.rounded(), abs(n) < 9_007_199_254_740_992 else {
            throw ValidationError(path(key), .wrongType, "must be an integer")
        }
        if let minimum, Int64(n) < minimum {
            throw ValidationError(path(key), .belowMinimum, "must be at least \(minimum)")
        }
        return Int64(n)
    }

    public func bool(_ key: String, required: Bool = false, nullable: Bool = false) throws(ValidationError)
        -> Bool?
    {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let b = v.boolValue else {
            throw ValidationError(path(key), .wrongType, "must be true or false")
        }
        return b
    }

    /// `format: uuid`, normalized to lowercase.
    public func uuid(_ key: String, required: Bool = false, nullable: Bool = false) throws(ValidationError)
        -> EntityID?
    {
        guard let s = try string(key, required: required, nullable: nullable) else { return nil }
        guard let id = EntityID(s) else { throw ValidationError(path(key), .format, "must be a UUID") }
        return id
    }

    /// `format: uri` with a `maxLength`.
    public func uri(_ key: String, required: Bool = false, nullable: Bool = false, maxLength: Int = 1024)
        throws(ValidationError) -> String?
    {
        guard let s = try string(key, required: required, nullable: nullable, maxLength: maxLength) else {
            return nil
        }
        guard Formats.isURI(s) else {
            throw ValidationError(
                path(key), .format, "must be an absolute URI", suggestion: "e.g. https://example.com/x")
        }
        return s
    }

    /// `format: date-time` (RFC 3339 §5.6).
    public func timestamp(_ key: String, required: Bool = false) throws(ValidationError) -> Timestamp? {
        guard let s = try string(key, required: required) else { return nil }
        guard let t = Timestamp(rfc3339: s) else {
            throw ValidationError(path(key), .format, "must be an RFC 3339 date-time")
        }
        return t
    }

    /// An array with an optional `maxItems`.
    public func array(_ key: String, required: Bool = false, nullable: Bool = false, maxItems: Int? = nil)
        throws(ValidationError) -> [JSONValue]?
    {
        guard let v = try value(key, required: required, nullable: nullable) else { return nil }
        guard let a = v.arrayValue else { throw ValidationError(path(key), .wrongType, "must be an array") }
        if let maxItems, a.count > maxItems {
            throw ValidationError(path(key), .tooManyItems, "must have at most \(maxItems) items")
        }
        return a
    }

    /// Refuses members outside `allowed` (for schemas with `additionalProperties: false`).
    public func rejectUnknown(allowed: Set<String>) throws(ValidationError) {
        if let key = object.keys.filter({ !allowed.contains($0) }).min() {
            throw ValidationError(path(key), .unknownField, "is not a known field")
        }
    }
}
