import CollabCore

/// Checks the fields of one input object against the spec's rules and collects the accepted
/// ones; every failure is a 400 whose `details.context.field` is the JSON pointer of the field.
public struct FieldValidator {
    let input: [String: JSONValue]
    let pointer: String
    var output: [String: JSONValue] = [:]

    public init(_ input: [String: JSONValue], allowed: Set<String>, pointer: String = "") {
        self.input = input
        self.pointer = pointer
        self.unknown = input.keys.filter { !allowed.contains($0) }.sorted()
    }

    let unknown: [String]

    func fail(_ name: String, _ message: String) -> APIError {
        MetadataRules.fieldError("\(pointer)/\(name)", message)
    }

    /// Present and not null; `required` makes absence an error.
    func value(_ name: String, required: Bool, nullable: Bool) throws(APIError) -> JSONValue? {
        guard let v = input[name] else {
            if required { throw fail(name, "is required") }
            return nil
        }
        if v.isNull {
            if required || !nullable { throw fail(name, "must not be null") }
            return nil
        }
        return v
    }

    public mutating func string(
        _ name: String, required: Bool = false, min: Int = 0, max: Int, forbidden: String = "",
        nullable: Bool = false
    ) throws(APIError) {
        guard let v = try value(name, required: required, nullable: nullable) else {
            if input[name] != nil { output[name] = .null }
            return
        }
        guard let s = v.stringValue else { throw fail(name, "must be a string") }
        guard s.count >= min else {
            throw fail(name, min == 1 ? "must not be empty" : "is shorter than \(min)")
        }
        guard s.count <= max else { throw fail(name, "is longer than \(max) characters") }
        if let bad = s.first(where: { forbidden.contains($0) }) {
            throw fail(name, "must not contain \(bad)")
        }
        output[name] = v
    }

    public mutating func oneOf(_ name: String, _ allowed: [String], required: Bool = false) throws(APIError) {
        guard let v = try value(name, required: required, nullable: false) else { return }
        guard let s = v.stringValue, allowed.contains(s) else {
            throw fail(name, "must be one of \(allowed.joined(separator: ", "))")
        }
        output[name] = v
    }

    public mutating func bool(_ name: String, required: Bool = false) throws(APIError) {
        guard let v = try value(name, required: required, nullable: false) else { return }
        guard v.boolValue != nil else { throw fail(name, "must be true or false") }
        output[name] = v
    }

    public mutating func number(_ name: String, required: Bool = false, range: ClosedRange<Double>)
        throws(APIError)
    {
        guard let v = try value(name, required: required, nullable: false) else { return }
        guard let n = v.doubleValue, range.contains(n) else {
            throw fail(name, "must be a number in \(range.lowerBound)...\(range.upperBound)")
        }
        output[name] = v
    }

    public mutating func uuid(_ name: String, required: Bool = false, nullable: Bool = true) throws(APIError)
    {
        guard let v = try value(name, required: required, nullable: nullable) else {
            if input[name] != nil { output[name] = .null }
            return
        }
        guard let s = v.stringValue, let id = UUIDText.normalized(s) else {
            throw fail(name, "must be a UUID")
        }
        output[name] = .string(id)
    }

    /// An absolute URI (scheme ":" ...), at most 1024 characters, no spaces.
    public mutating func uri(_ name: String, required: Bool = false, nullable: Bool = false) throws(APIError)
    {
        guard let v = try value(name, required: required, nullable: nullable) else {
            if input[name] != nil { output[name] = .null }
            return
        }
        guard let s = v.stringValue, s.count <= 1024, Self.isURI(s) else {
            throw fail(name, "must be an absolute URI of at most 1024 characters")
        }
        output[name] = v
    }

    /// Copies a field of any JSON type that passes `check`.
    public mutating func any(_ name: String, required: Bool = false, _ check: (JSONValue) -> String?)
        throws(APIError)
    {
        guard let v = try value(name, required: required, nullable: true) else { return }
        if let problem = check(v) { throw fail(name, problem) }
        output[name] = v
    }

    /// The accepted fields; an unknown field is an error.
    public func finish() throws(APIError) -> [String: JSONValue] {
        if let u = unknown.first { throw fail(u, "is not a known field") }
        return output
    }

    static func isURI(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":"), colon != s.startIndex else { return false }
        let scheme = s[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
        else { return false }
        let rest = s[s.index(after: colon)...]
        return !rest.isEmpty
            && !s.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "<" || $0 == ">" })
    }
}
