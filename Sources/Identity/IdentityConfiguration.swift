import FoundationEssentials

/// Everything the identity service is built from (DESIGN §5, §8).
public struct IdentityConfiguration: Sendable {
    /// The server's data directory; the service keeps its files in `<dataDirectory>/identity`.
    public var dataDirectory: String
    /// Public base URL without trailing slash: the token issuer and the base of every redirect.
    public var publicBaseURL: String
    /// Token audience; defaults to the base URL (this server is its own resource server).
    public var audience: String
    /// The built-in `test` login provider. Off: `idp=test` is answered as an unknown provider.
    public var testProviderEnabled = true
    public var algorithm = SigningAlgorithm.rs256
    /// HS256 secret; nil creates a random one in the data directory on first start.
    public var hmacSecret: String?
    /// PEM file of the RS256 signing key every node shares (`--signing-key`); nil keeps a
    /// generated one in `keyStore`, or else in the data directory.
    public var signingKeyFile: String?
    /// Where a generated key is kept so nodes sharing a database share it (DESIGN §11).
    public var keyStore: (any IdentityKeyStore)?
    /// Where refresh tokens, revocations and users are shared between nodes (DESIGN §11); nil
    /// keeps them in the data directory.
    public var sharedStore: (any IdentitySharedStore)?
    /// Where logins in progress live (DESIGN §11); nil keeps them in this process's memory.
    /// Nodes sharing a database share them, so a login may hop between nodes at each step.
    public var pendingLogins: (any PendingLoginStore)?
    /// Access-token lifetime in seconds.
    public var accessTokenLifetime: Int64 = 3600
    /// Refresh-token lifetime in seconds (each rotation starts a new one).
    public var refreshTokenLifetime: Int64 = 30 * 24 * 3600
    /// How long an authorization (its `state`) and a code stay usable: DESIGN §10, 10 minutes.
    public var authorizationLifetime: Int64 = 600
    /// Clock skew tolerated on `exp`/`nbf`.
    public var leeway: Int64 = 30
    /// External login providers (OIDC, Google, Microsoft, GitHub), listed after `test`. Those
    /// whose endpoints are not all given are completed from discovery when the service opens.
    public var oidcProviders: [OIDCProviderConfiguration] = []
    /// Tolerated clock skew when checking an IdP's ID token (`exp`, `nbf`, `iat`).
    public var idTokenSkew: Int64 = 60
    /// Where warnings about logins go (an IdP that is down, a refused ID token, a TLS failure):
    /// the gateway points this at its logger. Messages name the provider and the reason.
    public var warn: @Sendable (String) -> Void = { _ in }
    /// Prefixes a `client_callback` must start with; nil accepts any http(s) URL (development).
    /// Tokens are delivered to that URL, so production deployments should list their clients.
    public var allowedClientCallbacks: [String]?
    /// HTTP(S) for the back-channel calls to login providers (discovery, JWKS, token, userinfo).
    public var transport: any OIDCTransport = HTTPClientOIDCTransport()
    /// Wall clock; tests inject one they can move.
    public var clock: @Sendable () -> Date = { Date() }

    public init(dataDirectory: String, publicBaseURL: String, audience: String? = nil) {
        self.dataDirectory = dataDirectory
        self.publicBaseURL = publicBaseURL
        self.audience = audience ?? publicBaseURL
    }

    var directory: String { dataDirectory + "/identity" }
    var callbackURL: String { publicBaseURL + "/oauth2/callback" }
    func now() -> Int64 { Int64(clock().timeIntervalSince1970.rounded(.down)) }
}
