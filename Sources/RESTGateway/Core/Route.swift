import CollabCore
import WireProtocol

/// A handler for one route. Throw `APIError` for client-visible failures.
public typealias RouteHandler = @Sendable (RequestContext) async throws -> HTTPResponse

/// Who may call a route.
public enum RouteAccess: Sendable {
    /// No bearer token needed (discovery, OAuth flows, introspect).
    case open
    /// A valid access token is required; the middleware sets `context.user`.
    case authenticated
}

/// One entry of the routing table. Patterns use `{name}` for a path segment parameter,
/// e.g. `/threat_models/{threat_model_id}/threats/{threat_id}`.
public struct Route: Sendable {
    public var method: String
    public var pattern: String
    public var access: RouteAccess
    /// Largest accepted request body in bytes (413 past it).
    public var bodyLimit: Int
    public var handler: RouteHandler

    public init(
        _ method: String, _ pattern: String, access: RouteAccess = .authenticated,
        bodyLimit: Int = 2 << 20, handler: @escaping RouteHandler
    ) {
        self.method = method
        self.pattern = pattern
        self.access = access
        self.bodyLimit = bodyLimit
        self.handler = handler
    }
}

/// A group of routes contributed by one feature (identity, threat models, collaboration, ...).
public protocol RouteProvider: Sendable {
    var routes: [Route] { get }
}

extension HTTPResponse {
    /// A JSON response with `Content-Type: application/json`.
    public static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = HTTPHeaders())
        -> HTTPResponse
    {
        var h = headers
        h.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: h, body: value.serialized())
    }

    /// A response with no body (204 by default).
    public static func empty(status: Int = 204, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers)
    }

    /// An error response with the spec's error body.
    public static func error(_ e: APIError) -> HTTPResponse {
        .json(e.body, status: e.status, headers: e.headers)
    }
}
