import CollabCore
import WireProtocol

/// A failure with an HTTP status and the spec's error body `{error, error_description, details?}`.
/// Handlers throw it; the error middleware renders it. Any other error becomes a 500 that does
/// not leak internals.
public struct APIError: Error, Sendable {
    public var status: Int
    /// Machine-readable code (`invalid_input`, `not_found`, `unauthorized`, ...).
    public var code: String
    public var description: String
    /// Optional `details` object of the spec's Error schema (`code`, `context`, `suggestion`).
    public var details: JSONValue?
    /// Extra response headers (`WWW-Authenticate`, `Allow`, ...).
    public var headers: HTTPHeaders
    /// Extra top-level body fields (e.g. `join_url` on a collaborate 409).
    public var extra: [String: JSONValue]

    public init(
        status: Int, code: String, description: String, details: JSONValue? = nil,
        headers: HTTPHeaders = HTTPHeaders(), extra: [String: JSONValue] = [:]
    ) {
        self.status = status
        self.code = code
        self.description = description
        self.details = details
        self.headers = headers
        self.extra = extra
    }

    public static func badRequest(_ d: String, code: String = "invalid_input", details: JSONValue? = nil)
        -> APIError
    {
        APIError(status: 400, code: code, description: d, details: details)
    }
    public static func invalidID(_ name: String) -> APIError {
        APIError(status: 400, code: "invalid_id", description: "\(name) must be a UUID")
    }
    public static func unauthorized(_ d: String) -> APIError {
        var h = HTTPHeaders()
        h.add("WWW-Authenticate", "Bearer realm=\"tmi\", error=\"invalid_token\"")
        return APIError(status: 401, code: "unauthorized", description: d, headers: h)
    }
    public static func forbidden(_ d: String) -> APIError {
        APIError(status: 403, code: "forbidden", description: d)
    }
    public static func notFound(_ d: String) -> APIError {
        APIError(status: 404, code: "not_found", description: d)
    }
    public static func conflict(_ d: String) -> APIError {
        APIError(status: 409, code: "conflict", description: d)
    }

    /// The JSON body of this error.
    public var body: JSONValue {
        var o: [String: JSONValue] = ["error": .string(code), "error_description": .string(description)]
        if let details { o["details"] = details }
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}
