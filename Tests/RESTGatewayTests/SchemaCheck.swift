import CollabCore

/// A small subset of OpenAPI 3.0 schema validation (type, properties, required, enum, items,
/// maxLength, formats uri and date-time): enough to hold responses to the spec's schemas.
/// Returns one message per violation, with the JSON path.
func schemaViolations(_ value: JSONValue, _ schema: JSONValue, path: String = "$") -> [String] {
    var problems: [String] = []
    switch schema["type"]?.stringValue {
    case "object":
        guard let object = value.objectValue else { return ["\(path): expected object"] }
        for case .string(let name) in schema["required"]?.arrayValue ?? [] where object[name] == nil {
            problems.append("\(path).\(name): required")
        }
        for (name, sub) in schema["properties"]?.objectValue ?? [:] {
            if let member = object[name] {
                problems += schemaViolations(member, sub, path: "\(path).\(name)")
            }
        }
    case "array":
        guard let items = value.arrayValue else { return ["\(path): expected array"] }
        if let itemSchema = schema["items"] {
            for (i, item) in items.enumerated() {
                problems += schemaViolations(item, itemSchema, path: "\(path)[\(i)]")
            }
        }
    case "string":
        guard let s = value.stringValue else { return ["\(path): expected string"] }
        if let max = schema["maxLength"]?.doubleValue, Double(s.count) > max {
            problems.append("\(path): too long")
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            problems.append("\(path): not in enum")
        }
        switch schema["format"]?.stringValue {
        case "uri":
            if !(s.hasPrefix("http://") || s.hasPrefix("https://")) || s.contains(" ") {
                problems.append("\(path): not a URI")
            }
        case "date-time":
            if !isRFC3339(s) { problems.append("\(path): not an RFC 3339 date-time") }
        default: break
        }
    default: break
    }
    return problems
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (RFC 3339 §5.6).
func isRFC3339(_ s: String) -> Bool {
    let b = Array(s.utf8)
    func digits(_ r: Range<Int>) -> Bool {
        r.upperBound <= b.count && b[r].allSatisfy { $0 >= 48 && $0 <= 57 }
    }
    guard b.count >= 20, digits(0..<4), b[4] == 45, digits(5..<7), b[7] == 45, digits(8..<10), b[10] == 84,
        digits(11..<13), b[13] == 58, digits(14..<16), b[16] == 58, digits(17..<19)
    else { return false }
    var i = 19
    if b[i] == 46 {
        i += 1
        let start = i
        while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
        if i == start { return false }
    }
    if i == b.count - 1 { return b[i] == 90 }
    return i == b.count - 6 && (b[i] == 43 || b[i] == 45) && digits(i + 1..<i + 3) && b[i + 3] == 58
        && digits(i + 4..<i + 6)
}

/// Schemas from reference/tmi-openapi.json (descriptions and examples dropped).
enum SpecSchemas {
    static func load(_ text: String) -> JSONValue { (try? JSONValue.parse(text)) ?? .null }

    static let apiInfo = load(
        #"""
        {"type": "object", "properties": {"status": {"type": "object", "properties": {"code": {"type": "string", "enum": ["OK", "ERROR"]}, "time": {"type": "string", "format": "date-time"}}, "required": ["code", "time"]}, "service": {"type": "object", "properties": {"name": {"type": "string"}, "build": {"type": "string", "maxLength": 256}}, "required": ["name", "build"]}, "api": {"type": "object", "properties": {"version": {"type": "string"}, "specification": {"type": "string", "format": "uri", "maxLength": 1024}}, "required": ["version", "specification"]}, "operator": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 256}, "contact": {"type": "string", "maxLength": 1024}}, "required": ["name", "contact"]}}, "required": ["status", "service", "api", "operator"]}
        """#)

    static let openIDConfiguration = load(
        #"""
        {"type": "object", "properties": {"issuer": {"type": "string", "format": "uri"}, "authorization_endpoint": {"type": "string", "format": "uri"}, "token_endpoint": {"type": "string", "format": "uri"}, "userinfo_endpoint": {"type": "string", "format": "uri"}, "jwks_uri": {"type": "string", "format": "uri"}, "response_types_supported": {"type": "array", "items": {"type": "string"}}, "subject_types_supported": {"type": "array", "items": {"type": "string"}}, "id_token_signing_alg_values_supported": {"type": "array", "items": {"type": "string"}}, "scopes_supported": {"type": "array", "items": {"type": "string"}}, "claims_supported": {"type": "array", "items": {"type": "string"}}, "introspection_endpoint": {"type": "string", "format": "uri"}}, "required": ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"]}
        """#)

    static let authorizationServer = load(
        #"""
        {"type": "object", "properties": {"issuer": {"type": "string", "format": "uri"}, "authorization_endpoint": {"type": "string", "format": "uri"}, "token_endpoint": {"type": "string", "format": "uri"}, "introspection_endpoint": {"type": "string", "format": "uri"}, "response_types_supported": {"type": "array", "items": {"type": "string"}}, "grant_types_supported": {"type": "array", "items": {"type": "string"}}, "token_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string"}}}, "required": ["issuer", "authorization_endpoint", "token_endpoint", "response_types_supported"]}
        """#)

    static let error = load(
        #"""
        {"type": "object", "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}}, "required": ["error", "error_description"]}
        """#)
}
