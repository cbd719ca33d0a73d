import CollabCore
import WireProtocol

/// The parameters of an OAuth POST: RFC 6749 specifies `application/x-www-form-urlencoded`
/// (§4.1.3, RFC 7009 §2.1, RFC 7662 §2.1), and the TMI spec uses JSON for the same fields, so
/// both are read into one name -> value map. An empty body is an empty map.
enum OAuthParameters {
    static func parse(_ context: RequestContext) throws(APIError) -> [String: String] {
        let body = context.request.body
        if body.isEmpty { return [:] }
        let contentType = context.request.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            return QueryString.parse(Substring(String(decoding: body, as: UTF8.self)))
        }
        let object = try context.jsonObjectBody()
        var parameters: [String: String] = [:]
        for (name, value) in object {
            switch value {
            case .string(let s): parameters[name] = s
            case .null: continue
            default:
                throw APIError.badRequest("'\(name.prefix(40))' must be a string", code: "invalid_request")
            }
        }
        return parameters
    }

    /// The string parameters of a body that is read only for what it may name, never refused:
    /// `POST /oauth2/revoke` lists no 400 (`reference/endpoints.md`: 204, 401, 500) and RFC 7009
    /// §2.2 answers success even for an invalid token, so an unreadable body or a non-string
    /// member simply names no token.
    static func parseLeniently(_ context: RequestContext) -> [String: String] {
        let body = context.request.body
        if body.isEmpty { return [:] }
        let contentType = context.request.headers["Content-Type"]?.lowercased() ?? ""
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            return QueryString.parse(Substring(String(decoding: body, as: UTF8.self)))
        }
        guard case .object(let object)? = try? JSONValue.parse(body) else { return [:] }
        return object.compactMapValues(\.stringValue)
    }
}
