import CollabCore
import Identity
import WireProtocol

// The seam between the `Identity` module and the gateway: its errors become `APIError`s, its
// verified token becomes the request's `AuthenticatedUser`, and the server configuration becomes
// its configuration. Identity never imports the gateway (DESIGN §2), so these live here.

extension APIError {
    /// The same status, code, description and headers: identity already speaks the error body.
    public init(_ error: IdentityError) {
        self.init(
            status: error.status, code: error.code, description: error.description, headers: error.headers)
    }
}

extension Route {
    /// This route with `IdentityError`s thrown by its handler rethrown as `APIError`s, so the
    /// error middleware renders them instead of treating them as internal failures (500); and a
    /// shared identity store (PostgreSQL) that cannot be reached answered as a 503 the client may
    /// retry, like the store's own outages, not as a server fault.
    func mappingIdentityErrors() -> Route {
        var route = self
        let handler = self.handler
        route.handler = { context in
            do {
                return try await handler(context)
            } catch let error as IdentityError {
                throw APIError(error)
            } catch let error as PostgresError where error.isUnreachable {
                var headers = HTTPHeaders()
                headers.add("Retry-After", "1")
                headers.add("Cache-Control", "no-store")
                throw APIError(
                    status: 503, code: "temporarily_unavailable",
                    description: "The identity store cannot be reached; try again shortly", headers: headers)
            }
        }
        return route
    }
}

extension PostgresError {
    /// The database could not be reached or did not answer in time (as opposed to refusing a
    /// statement): a condition that passes, so a client may retry.
    var isUnreachable: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .timedOut, .poolTimeout, .unavailable, .closed: true
        default: false
        }
    }
}

extension IdentityService: Authenticator {
    /// The gateway's bearer check: the identity service verifies, the gateway gets the user.
    public func authenticate(bearer token: String) throws(APIError) -> AuthenticatedUser {
        let claims: AccessTokenClaims
        do {
            claims = try verifyAccessToken(token)
        } catch {
            throw APIError(error)
        }
        return AuthenticatedUser(
            id: claims.subject, email: claims.email, name: claims.name, idp: claims.idp, groups: claims.groups
        )
    }
}

extension IdentityConfiguration {
    /// The identity settings of the server configuration, for the base URL actually bound.
    public init(server: ServerConfiguration, baseURL: String) {
        self.init(dataDirectory: server.dataDirectory, publicBaseURL: baseURL)
        testProviderEnabled = server.testProvider
        algorithm = server.jwtAlgorithm == .hs256 ? .hs256 : .rs256
        hmacSecret = server.jwtSecret
        signingKeyFile = server.signingKeyFile
        keyStore = server.identityKeyStore
        let postgres = server.postgresIdentityStore
        sharedStore = postgres
        pendingLogins = postgres
        accessTokenLifetime = Int64(server.tokenLifetime)
    }
}
