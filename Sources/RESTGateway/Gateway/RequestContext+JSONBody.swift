import CollabCore
import WireProtocol

extension RequestContext {
    /// The request body parsed as JSON, for handlers.
    ///
    /// The `Content-Type` must be `application/json` or a `+json` type (RFC 6839 §3.1, e.g.
    /// `application/json-patch+json`); a missing one is tolerated. A wrong type, an empty body or
    /// malformed JSON is a 400 `invalid_input` that says which.
    public func jsonBody() throws(APIError) -> JSONValue {
        if let contentType = request.headers["Content-Type"], !Self.isJSONMediaType(contentType) {
            throw APIError.badRequest(
                "Content-Type must be application/json (got '\(contentType.prefix(100))')")
        }
        if request.body.isEmpty {
            throw APIError.badRequest("The request body is empty; a JSON document is required")
        }
        do {
            return try JSONValue.parse(request.body)
        } catch {
            throw APIError.badRequest("The request body is not valid JSON")
        }
    }

    /// The body as a JSON object, or 400 when it is another JSON type.
    public func jsonObjectBody() throws(APIError) -> [String: JSONValue] {
        guard let object = try jsonBody().objectValue else {
            throw APIError.badRequest("The request body must be a JSON object")
        }
        return object
    }

    /// `application/json`, `application/<x>+json`, parameters (`; charset=utf-8`) ignored,
    /// case-insensitive (RFC 9110 §8.3.1).
    static func isJSONMediaType(_ value: String) -> Bool {
        let type = mediaType(value)
        return type == "application/json" || (type.hasPrefix("application/") && type.hasSuffix("+json"))
    }
}
