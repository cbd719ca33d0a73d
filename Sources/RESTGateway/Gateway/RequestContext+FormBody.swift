import CollabCore

extension RequestContext {
    /// The body as `application/x-www-form-urlencoded` fields (the form OAuth clients post to
    /// the token, revoke and introspect endpoints: RFC 6749 §4.1.3, RFC 7009 §2.1, RFC 7662
    /// §2.1). A repeated name keeps its first value. Another Content-Type is a 400.
    public func formBody() throws(APIError) -> [String: String] {
        guard let type = request.headers["Content-Type"], Self.mediaType(type) == Self.formMediaType else {
            throw APIError.badRequest("Content-Type must be application/x-www-form-urlencoded")
        }
        return QueryString.parse(String(decoding: request.body, as: UTF8.self)[...])
    }

    /// The body's top-level fields from either a JSON object or a form, for endpoints that
    /// accept both (DESIGN §10: `POST /oauth2/token`, `POST /oauth2/revoke`). Form values are
    /// strings.
    public func fieldsBody() throws(APIError) -> [String: JSONValue] {
        if let type = request.headers["Content-Type"], Self.mediaType(type) == Self.formMediaType {
            return try formBody().mapValues { .string($0) }
        }
        return try jsonObjectBody()
    }

    static let formMediaType = "application/x-www-form-urlencoded"

    /// The media type without parameters, lowercased (RFC 9110 §8.3.1).
    static func mediaType(_ value: String) -> String {
        let essence = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return essence.filter { $0 != " " && $0 != "\t" }.lowercased()
    }
}
