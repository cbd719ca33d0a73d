/// Refresh tokens and access-token revocations: everything about issued tokens that must survive
/// a restart. Persisted as `identity/tokens.json` and its journal (`JournaledFile`); a pure value
/// type so its rules test directly.
///
/// Refresh tokens are stored only as SHA-256 hashes (a stolen file yields no usable token). Each
/// login starts a *family*; every refresh spends one token and issues the next in the same family
/// (rotation, RFC 9700 §4.14.2). Presenting a spent token means two parties hold it, so the whole
/// family is revoked, including the access tokens it issued.
struct TokenLedger: Codable, Sendable, Equatable {
    struct RefreshRecord: Codable, Sendable, Equatable {
        var family: String
        var userID: String
        var expiresAt: Int64
        var spent: Bool
    }

    struct Family: Codable, Sendable, Equatable {
        var userID: String
        /// Access tokens issued from this family (jti -> exp), revoked with it.
        var accessTokens: [String: Int64]
        /// The provider and IdP groups of the login that started the family: every refresh
        /// carries them on, so groups change only when the user logs in again. Optional because
        /// families written before they were recorded have neither (no groups, then).
        var idp: String? = nil
        var groups: [String]? = nil
    }

    enum RefreshFailure: Error, Equatable {
        case unknown
        case expired
        /// A spent token came back: the family is now revoked.
        case reused
    }

    /// SHA-256 (hex) of the refresh token -> record.
    private(set) var refreshTokens: [String: RefreshRecord] = [:]
    private(set) var families: [String: Family] = [:]
    /// Revoked access-token ids -> their `exp`: kept only while the token could still be used.
    private(set) var revokedAccessTokens: [String: Int64] = [:]
    /// The keys whose entries the methods below changed since `takeChanges()`: what the journal
    /// writes (`JournaledFile`), so a login costs its own entries, not a pass over the ledger.
    /// Every change goes through these methods (the maps cannot be set from outside), so none is
    /// missed. Neither stored nor compared.
    private(set) var changes = ChangedKeys()

    struct ChangedKeys: JournalChanges, Equatable {
        var families: Set<String> = []
        var refreshTokens: Set<String> = []
        var revokedAccessTokens: Set<String> = []

        mutating func formUnion(_ other: ChangedKeys) {
            families.formUnion(other.families)
            refreshTokens.formUnion(other.refreshTokens)
            revokedAccessTokens.formUnion(other.revokedAccessTokens)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case refreshTokens, families, revokedAccessTokens
    }

    init() {}

    /// A ledger with these entries (tests; no changes recorded).
    init(
        refreshTokens: [String: RefreshRecord], families: [String: Family],
        revokedAccessTokens: [String: Int64]
    ) {
        self.refreshTokens = refreshTokens
        self.families = families
        self.revokedAccessTokens = revokedAccessTokens
    }

    static func == (lhs: TokenLedger, rhs: TokenLedger) -> Bool {
        lhs.refreshTokens == rhs.refreshTokens && lhs.families == rhs.families
            && lhs.revokedAccessTokens == rhs.revokedAccessTokens
    }

    /// The changes recorded since the last call, which start again from none.
    mutating func takeChanges() -> ChangedKeys {
        defer { changes = ChangedKeys() }
        return changes
    }

    mutating func startFamily(_ family: String, userID: String, origin: LoginOrigin = LoginOrigin()) {
        families[family] = Family(userID: userID, accessTokens: [:], idp: origin.idp, groups: origin.groups)
        changes.families.insert(family)
    }

    mutating func addRefreshToken(hash: String, family: String, userID: String, expiresAt: Int64) {
        refreshTokens[hash] = RefreshRecord(
            family: family, userID: userID, expiresAt: expiresAt, spent: false)
        changes.refreshTokens.insert(hash)
    }

    mutating func recordAccessToken(jti: String, expiresAt: Int64, family: String) {
        guard families[family] != nil else { return }
        families[family]?.accessTokens[jti] = expiresAt
        changes.families.insert(family)
    }

    /// Spends the token with `hash`, returning its family and user, or why it cannot be used.
    mutating func spend(hash: String, now: Int64) -> Result<RefreshRecord, RefreshFailure> {
        guard let record = refreshTokens[hash], families[record.family] != nil else {
            return .failure(.unknown)
        }
        if record.spent {
            revokeFamily(record.family)
            return .failure(.reused)
        }
        guard now < record.expiresAt else { return .failure(.expired) }
        refreshTokens[hash]?.spent = true
        changes.refreshTokens.insert(hash)
        return .success(record)
    }

    /// The live (unspent, unexpired) refresh record for `hash`, without spending it.
    func liveRefreshToken(hash: String, now: Int64) -> RefreshRecord? {
        guard let record = refreshTokens[hash], !record.spent, now < record.expiresAt,
            families[record.family] != nil
        else { return nil }
        return record
    }

    /// Ends a family: its refresh tokens are forgotten and its access tokens revoked.
    mutating func revokeFamily(_ family: String) {
        guard let removed = families.removeValue(forKey: family) else { return }
        changes.families.insert(family)
        for (jti, exp) in removed.accessTokens {
            revokedAccessTokens[jti] = exp
            changes.revokedAccessTokens.insert(jti)
        }
        for (hash, record) in refreshTokens where record.family == family {
            refreshTokens[hash] = nil
            changes.refreshTokens.insert(hash)
        }
    }

    mutating func revokeAccessToken(jti: String, expiresAt: Int64) {
        revokedAccessTokens[jti] = expiresAt
        changes.revokedAccessTokens.insert(jti)
    }

    func isRevoked(jti: String) -> Bool { revokedAccessTokens[jti] != nil }

    /// Drops what can no longer matter: expired refresh tokens (spent ones are kept until then, so
    /// reuse is still detected), families without tokens, and revocations of expired tokens
    /// (`leeway` past `exp`, since verification tolerates that much skew).
    mutating func prune(now: Int64, leeway: Int64) {
        for (hash, record) in refreshTokens where record.expiresAt <= now {
            refreshTokens[hash] = nil
            changes.refreshTokens.insert(hash)
        }
        let liveFamilies = Set(refreshTokens.values.map(\.family))
        for (key, family) in families {
            guard liveFamilies.contains(key) else {
                families[key] = nil
                changes.families.insert(key)
                continue
            }
            let live = family.accessTokens.filter { $0.value + leeway > now }
            if live.count != family.accessTokens.count {
                families[key]?.accessTokens = live
                changes.families.insert(key)
            }
        }
        for (jti, exp) in revokedAccessTokens where exp + leeway <= now {
            revokedAccessTokens[jti] = nil
            changes.revokedAccessTokens.insert(jti)
        }
    }

    /// Sets every entry the delta names (replay of the journal; records no changes).
    mutating func apply(_ delta: Delta) {
        Self.apply(delta.families, to: &families)
        Self.apply(delta.refreshTokens, to: &refreshTokens)
        Self.apply(delta.revokedAccessTokens, to: &revokedAccessTokens)
    }

    /// A value sets its key, a null removes it (assigning an optional through the subscript).
    private static func apply<Value>(_ entries: [String: Value?], to map: inout [String: Value]) {
        for (key, value) in entries { map[key] = value }
    }
}
