/// One external login provider, used with the authorization-code flow (RFC 6749 §4.1, OIDC Core
/// §3.1). Every kind configured by `--idp-config` or `TMI_OIDC_*` ends up as one of these.
public struct OIDCProviderConfiguration: Sendable, Equatable {
    /// OpenID Connect (ID token verified against the provider's JWKS), or GitHub's plain OAuth 2
    /// (no ID token: the user and their verified email come from its REST API).
    public enum Kind: String, Sendable, Equatable {
        case oidc
        case github
    }

    public var kind = Kind.oidc
    /// The `idp` value clients pass (`google`, `corp-sso`, ...).
    public var id: String
    public var name: String
    public var icon: String
    /// OIDC: the issuer identifier (`iss` of its ID tokens, base of discovery). Microsoft's
    /// multi-tenant issuer contains `{tenantid}`, filled from the token's `tid`.
    public var issuer: String
    /// Empty until discovery fills it (when not configured explicitly).
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    /// Where the user's claims come from besides the ID token; nil: the ID token only.
    public var userinfoEndpoint: String?
    /// The provider's signing keys (RFC 7517 JWK Set); nil until discovery fills it.
    public var jwksURI: String?
    public var clientID: String
    public var clientSecret: String
    public var scopes: [String]
    /// The claim (ID token or userinfo) naming the user's groups at the provider.
    public var groupsClaim = "groups"
    /// GitHub: the REST API base (`/user`, `/user/emails`).
    public var apiBaseURL = "https://api.github.com"

    public init(
        id: String, name: String, icon: String = "fa-solid fa-right-to-bracket", issuer: String,
        authorizationEndpoint: String, tokenEndpoint: String, userinfoEndpoint: String?, clientID: String,
        clientSecret: String, scopes: [String] = ["openid", "email", "profile"], jwksURI: String? = nil,
        kind: Kind = .oidc
    ) {
        self.id = id
        self.name = name
        self.icon = icon
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.userinfoEndpoint = userinfoEndpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.jwksURI = jwksURI
        self.kind = kind
    }

    /// OIDC Discovery §4: the configuration document under the issuer.
    public var discoveryURL: String {
        var base = issuer
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/.well-known/openid-configuration"
    }

    /// Whether start-up must fetch the discovery document to know every endpoint it needs.
    public var needsDiscovery: Bool {
        kind == .oidc && (authorizationEndpoint.isEmpty || tokenEndpoint.isEmpty || jwksURI == nil)
    }
}
