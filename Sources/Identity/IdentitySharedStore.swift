/// Where refresh tokens, revocations and users live when several nodes share one database
/// (DESIGN §11: "any node honours what another issued or revoked"). Implemented by the gateway
/// over the PostgreSQL store and chosen only with `--database-url`; without it the service keeps
/// them in its data directory exactly as before. This module never imports a database.
///
/// Refresh tokens are kept as SHA-256 hashes only; spending one is a single atomic statement in
/// the store, so a token issued on one node refreshes on any node exactly once.
public protocol IdentitySharedStore: Sendable {
    /// Records a new refresh token and the access token issued with it (`accessJTI`, revoked with
    /// its family). With `requireLiveFamily`, records nothing and returns false when the family
    /// has been revoked meanwhile (a refresh racing a reuse).
    func issue(
        _ token: SharedRefreshToken, accessJTI: String, accessExpiresAt: Int64, requireLiveFamily: Bool
    )
        async throws -> Bool
    /// Records a refresh token carried over from this node's own files (the embedded mode's
    /// `tokens.json`) with the access tokens its family issued; what is there already is kept
    /// as it is, so importing the same file twice changes nothing.
    func importRefreshToken(_ token: SharedRefreshToken, accessTokens: [(jti: String, expiresAt: Int64)])
        async throws
    /// Spends the token with `hash` atomically. A token already spent means two parties hold it:
    /// the store revokes its whole family before answering `.reused`.
    func spend(hash: String, now: Int64) async throws -> SharedSpend
    /// The token with `hash`, spent or not, if the store still has it.
    func refreshToken(hash: String) async throws -> SharedRefreshToken?
    /// Ends a family: its refresh tokens are deleted, its access tokens revoked.
    func revokeFamily(_ family: String) async throws
    /// Revokes one access token until `expiresAt`.
    func revokeAccessToken(jti: String, expiresAt: Int64) async throws
    /// Revocations recorded after `cursor` (with some overlap, see the implementation), and the
    /// cursor to ask from next time. Called by each node's poller, never on a request.
    func revocations(after cursor: Int64) async throws -> (
        ids: [(jti: String, expiresAt: Int64)], cursor: Int64
    )
    /// Drops what can no longer matter (refresh tokens and revocations expired before `before`).
    func prune(before: Int64) async throws

    /// Inserts or updates a user and its linked identities.
    func saveUser(_ user: UserRecord) async throws
    func user(id: String) async throws -> UserRecord?
    /// The user a provider identity is linked to.
    func user(identity: LinkedIdentity) async throws -> UserRecord?
    /// A user with this email (case-insensitive), for linking a provider-verified email.
    func user(email: String) async throws -> UserRecord?
}

/// A refresh token as the shared store keeps it: the hash, never the token.
public struct SharedRefreshToken: Sendable, Equatable {
    public var hash: String
    public var family: String
    public var userID: String
    public var expiresAt: Int64
    /// The provider and IdP groups of the login that started the family, carried on by refresh.
    public var idp: String
    public var groups: [String]
    public var spent: Bool

    public init(
        hash: String, family: String, userID: String, expiresAt: Int64, idp: String, groups: [String],
        spent: Bool = false
    ) {
        self.hash = hash
        self.family = family
        self.userID = userID
        self.expiresAt = expiresAt
        self.idp = idp
        self.groups = groups
        self.spent = spent
    }
}

/// What spending a refresh token in the shared store came to.
public enum SharedSpend: Sendable, Equatable {
    case spent(SharedRefreshToken)
    case unknown
    case expired
    /// It had been spent before: its family is revoked now.
    case reused
}
