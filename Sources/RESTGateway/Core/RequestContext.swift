import CollabCore
import WireProtocol

/// The identity of an authenticated caller, put on the context by the authentication middleware.
public struct AuthenticatedUser: Sendable, Hashable, Codable {
    /// Internal user id (the JWT `sub`).
    public var id: String
    public var email: String
    public var name: String
    /// The login provider that vouched for the user (the token's `idp` claim; empty if unknown).
    public var idp: String
    /// The user's IdP groups at login (the token's `groups` claim), for group authorization.
    public var groups: [String]

    public init(id: String, email: String, name: String, idp: String = "", groups: [String] = []) {
        self.id = id
        self.email = email
        self.name = name
        self.idp = idp
        self.groups = groups
    }
}

/// Everything a handler knows about one request. Built by the router, enriched by middleware.
public struct RequestContext: Sendable {
    public var request: HTTPRequest
    /// Values of `{name}` segments of the matched route pattern, percent-decoded.
    public var pathParameters: PathParameters
    /// Query parameters, percent-decoded; a repeated name keeps its first value.
    public var query: [String: String]
    /// Unique per request; echoed in `X-Request-ID` and the access log.
    public var requestID: String
    /// Set by the authentication middleware on non-public routes.
    public var user: AuthenticatedUser?
    /// The bearer token the user presented (for revoke/introspect-style handlers).
    public var accessToken: String?
    /// Peer address for logs.
    public var peer: String
    /// The router's answer, found once by the gateway (which counts the request under the route)
    /// and reused by the dispatch.
    var routeLookup: Router.Lookup?

    public init(
        request: HTTPRequest, pathParameters: PathParameters = [:], query: [String: String] = [:],
        requestID: String = "", user: AuthenticatedUser? = nil, accessToken: String? = nil,
        peer: String = ""
    ) {
        self.request = request
        self.pathParameters = pathParameters
        self.query = query
        self.requestID = requestID
        self.user = user
        self.accessToken = accessToken
        self.peer = peer
    }

    /// A request as the gateway first sees it: its query parsed and its route looked up.
    init(request: HTTPRequest, peer: String, routeLookup: Router.Lookup) {
        self.query = QueryString.parse(request.query)
        self.request = request
        self.pathParameters = [:]
        self.requestID = ""
        self.user = nil
        self.accessToken = nil
        self.peer = peer
        self.routeLookup = routeLookup
    }

    /// The authenticated user; throws 401 if the route was reached without one.
    public func requireUser() throws(APIError) -> AuthenticatedUser {
        guard let user else { throw APIError.unauthorized("authentication required") }
        return user
    }
}
