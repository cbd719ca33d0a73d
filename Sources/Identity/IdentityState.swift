/// A login in progress: what `GET /oauth2/authorize` was asked, kept under our own random
/// `state` (the one the provider echoes to `/oauth2/callback`) for `authorizationLifetime`, in
/// the `PendingLoginStore` (memory on one node, the database when nodes share one).
struct PendingAuthorization: Codable, Sendable {
    var provider: String
    /// The client's own `state`, handed back with the tokens (RFC 6749 §4.1.2).
    var clientState: String?
    var clientCallback: String?
    /// RFC 7636 §4.3: the S256 challenge the client sent, checked against its verifier later.
    var codeChallenge: String?
    var expiresAt: Int64
    /// Our own PKCE verifier towards an OIDC provider. Kept in the clear (it must be sent): it
    /// is worthless without the provider's code, which is never stored.
    var upstreamVerifier: String?
    /// The nonce the provider's ID token must carry (OIDC Core §3.1.2.1).
    var nonce: String?
    /// SHA-256 (hex) of the login cookie set on the browser that started this login: the
    /// callback must come from that browser (RFC 9700 §4.7.1, login CSRF). Nil for `test`.
    var browserBinding: String?
}

/// A code issued by the built-in test provider at `authorize`, naming the test user to log in.
struct TestProviderCode: Codable, Sendable {
    /// The key (SHA-256 hex) of the login's `state`: the code is valid only with that state.
    var state: String
    var hint: String
    /// The IdP groups the test login asked for (`groups=a,b`).
    var groups: [String] = []
    var expiresAt: Int64
}

/// A code of our own, issued at the callback when the client asked for PKCE: the client trades
/// it, with its `code_verifier`, at `POST /oauth2/token` (RFC 7636 §4.5).
struct LoginGrant: Codable, Sendable {
    var userID: String
    /// Provider and groups of the login, for the tokens the code is traded for.
    var origin = LoginOrigin()
    var codeChallenge: String?
    var clientCallback: String?
    var expiresAt: Int64
    /// The token family issued for it: revoked if the code is presented again (RFC 6749 §4.1.2).
    var family: String?
}

/// Everything the identity service changes, guarded by one lock.
struct IdentityState: Sendable {
    var users: UserRegistry
    var ledger: TokenLedger
    /// When logins in progress were last purged of expired entries.
    var lastPrune: Int64 = 0
    /// When the token ledger was last pruned (`IdentityService.stageTokens`).
    var ledgerPrunedAt: Int64 = Int64.min / 2

    /// Unauthenticated clients create pending logins: bound their number.
    static let maxPending = 10_000
}
