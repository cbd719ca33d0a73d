/// Refresh tokens and access-token revocations: everything about issued tokens that must survive
/// a restart. Persisted as `identity/tokens.json`; a pure value type so its rules test directly.
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
    var refreshTokens: [String: RefreshRecord] = [:]
    var families: [String: Family] = [:]
    /// Revoked access-token ids -> their `exp`: kept only while the token could still be used.
    var revokedAccessTokens: [String: Int64] = [:]

    mutating func startFamily(_ family: String, userID: String, origin: LoginOrigin = LoginOrigin()) {
        families[family] = Family(userID: userID, accessTokens: [:], idp: origin.idp, groups: origin.groups)
    }

    mutating func addRefreshToken(hash: String, family: String, userID: String, expiresAt: Int64) {
        refreshTokens[hash] = RefreshRecord(
            family: family, userID: userID, expiresAt: expiresAt, spent: false)
    }

    mutating func recordAccessToken(jti: String, expiresAt: Int64, family: String) {
        families[family]?.accessTokens[jti] = expiresAt
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
        for (jti, exp) in removed.accessTokens { revokedAccessTokens[jti] = exp }
        refreshTokens = refreshTokens.filter { $0.value.family != family }
    }

    mutating func revokeAccessToken(jti: String, expiresAt: Int64) {
        revokedAccessTokens[jti] = expiresAt
    }

    func isRevoked(jti: String) -> Bool { revokedAccessTokens[jti] != nil }

    /// Drops what can no longer matter: expired refresh tokens (spent ones are kept until then, so
    /// reuse is still detected), families without tokens, and revocations of expired tokens
    /// (`leeway` past `exp`, since verification tolerates that much skew).
    mutating func prune(now: Int64, leeway: Int64) {
        refreshTokens = refreshTokens.filter { $0.value.expiresAt > now }
        let liveFamilies = Set(refreshTokens.values.map(\.family))
        var kept: [String: Family] = [:]
        for (key, family) in families where liveFamilies.contains(key) {
            var family = family
            family.accessTokens = family.accessTokens.filter { $0.value + leeway > now }
            kept[key] = family
        }
        families = kept
        revokedAccessTokens = revokedAccessTokens.filter { $0.value + leeway > now }
    }
}
