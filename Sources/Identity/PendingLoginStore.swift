/// Where logins in progress live between `GET /oauth2/authorize`, the provider's
/// `/oauth2/callback` and the code's `POST /oauth2/token`: our `state` with its PKCE and nonce
/// data, the test provider's codes, and the codes we issue to PKCE clients. These are the same
/// kind of state as `IdentitySharedStore`'s and share its rule: one node keeps them in memory
/// (`MemoryPendingLoginStore`, the default), nodes sharing a database keep them there, so that
/// behind a load balancer without stickiness each step of a login may reach a different node.
///
/// Entries are opaque to the store: a kind, a key (SHA-256 hex of the state or code, so the
/// database never holds one that could be presented), a JSON payload the identity service
/// encodes, and an expiry. Each is used once: `take` marks it used in one atomic step, so of two
/// nodes presented the same code exactly one gets it; a used entry stays (answering "already
/// used", not "unknown") until it expires, and expired entries are purged.
public protocol PendingLoginStore: Sendable {
    /// Records `entries`, the first of which is a new `.login` when `limit` is given. With
    /// `limit`, at most that many unexpired logins may be pending: the memory store makes room by
    /// forgetting the oldest (as one node always has), a shared store records nothing and
    /// returns false, and the caller refuses the login.
    func insert(_ entries: [PendingLoginEntry], limit: Int?, now: Int64) async throws -> Bool
    /// The unexpired entry with `key`, used or not, without using it.
    func entry(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginEntry?
    /// Marks the unexpired entry with `key` used, atomically: `.taken` for exactly one caller.
    func take(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginTake
    /// Replaces an entry's payload (a code's token family, known once its tokens are issued).
    func update(_ kind: PendingLoginKind, key: String, payload: String) async throws
    /// Forgets every entry expired at `now`.
    func purge(now: Int64) async throws
}

/// What a pending entry is.
public enum PendingLoginKind: String, Sendable, CaseIterable {
    /// A login started at `authorize`, keyed by our `state`.
    case login
    /// A code of the built-in test provider, keyed by the code.
    case testCode = "test_code"
    /// A code of ours issued at the callback of a PKCE login, keyed by the code.
    case grant
}

public struct PendingLoginEntry: Sendable, Equatable {
    public var kind: PendingLoginKind
    /// SHA-256 (hex) of the state or code.
    public var key: String
    /// The key of the login this entry belongs to (a test code's), forgotten with it; nil for
    /// a login itself and for a grant, which outlives its login.
    public var login: String?
    /// The identity service's JSON for the entry.
    public var payload: String
    public var expiresAt: Int64
    public var used: Bool

    public init(
        kind: PendingLoginKind, key: String, login: String? = nil, payload: String, expiresAt: Int64,
        used: Bool = false
    ) {
        self.kind = kind
        self.key = key
        self.login = login
        self.payload = payload
        self.expiresAt = expiresAt
        self.used = used
    }
}

/// What `take` came to.
public enum PendingLoginTake: Sendable, Equatable {
    /// This caller used it; no one else will.
    case taken(PendingLoginEntry)
    /// Someone used it before (a replay).
    case alreadyUsed(PendingLoginEntry)
    /// Never issued, or expired.
    case unknown
}
