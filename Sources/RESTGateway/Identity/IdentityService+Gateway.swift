import CollabCore
import Identity

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
    /// error middleware renders them instead of treating them as internal failures (500).
    func mappingIdentityErrors() -> Route {
        var route = self
        let handler = self.handler
        route.handler = { context in
            do {
                return try await handler(context)
            } catch let error as IdentityError {
                throw APIError(error)
            }
        }
        return route
    }
}

extension IdentityService: Authenticator {
    /// The gateway's bearer check: the identity service verifies, the gateway gets the user.
    public func authenticate(bearer token: String) async throws(APIError) -> AuthenticatedUser {
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
