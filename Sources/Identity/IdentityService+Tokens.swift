import CollabCore
import FoundationEssentials
import WireProtocol

extension IdentityService {
    /// The claims of a usable access token, or the 401 explaining why it is not: signature and
    /// algorithm, issuer, audience, validity window (`JWTCodec.verify`), then the revocation
    /// list. Every refusal carries `WWW-Authenticate: Bearer ... error="invalid_token"` (RFC 6750
    /// §3.1). The gateway's authenticator is a thin adapter over this.
    public func verifyAccessToken(_ token: String) throws(IdentityError) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        do {
            let now = now()
            if let cached = verifiedTokens.claims(of: token) {
                // Signature and claims were checked when cached; time moves on, so this does not.
                try codec.checkValidityWindow(cached, now: now)
                claims = cached
            } else {
                claims = try codec.verify(token, now: now)
                verifiedTokens.insert(token, claims)
            }
        } catch {
            throw error.identityError
        }
        if state.withLock({ $0.ledger.isRevoked(jti: claims.id) }) || revocations.contains(claims.id) {
            throw JWTRejection.revoked.identityError
        }
        return claims
    }
}

extension IdentityService {
    /// A signed access token and a new refresh token for `user`; nothing is recorded yet.
    func mint(for user: UserRecord, origin: LoginOrigin, now: Int64) throws -> (
        TokenResponse, AccessTokenClaims, hash: String
    ) {
        let claims = AccessTokenClaims(
            subject: user.id, email: user.email, name: user.name, issuer: configuration.publicBaseURL,
            audience: configuration.audience, issuedAt: now, notBefore: now,
            expiresAt: now + configuration.accessTokenLifetime, id: UUID().uuidString.lowercased(),
            idp: origin.idp, groups: origin.groups)
        let access = try codec.sign(claims)
        let refresh = try CryptoPrimitives.randomToken()
        let response = TokenResponse(
            accessToken: access, refreshToken: refresh, expiresIn: configuration.accessTokenLifetime)
        return (response, claims, Self.hash(refresh))
    }

    /// Refresh tokens are looked up by SHA-256: the store never holds a usable token.
    static func hash(_ refreshToken: String) -> String {
        CryptoPrimitives.hex((try? CryptoPrimitives.sha256(refreshToken)) ?? [])
    }

    /// The user a provider vouched for: found or created in the registry, durable on return.
    func registerLogin(_ identity: ProviderIdentity, provider: String) async throws -> UserRecord {
        let now = now()
        let shared = configuration.sharedStore
        if let shared {
            // Another node may know this person already: take its record first, so the same
            // provider identity keeps one user id on every node.
            let linked = LinkedIdentity(provider: provider, subject: identity.subject)
            var known = try await shared.user(identity: linked)
            if known == nil, identity.emailVerified, !identity.email.isEmpty {
                known = try await shared.user(email: identity.email)
            }
            if let known { state.withLock { $0.users.adopt(known) } }
        }
        let (user, changed) = state.withLock { s in
            let (user, changed) = s.users.login(
                identity: LinkedIdentity(provider: provider, subject: identity.subject),
                email: identity.email,
                name: identity.name, emailVerified: identity.emailVerified, now: now,
                newID: { UUID().uuidString.lowercased() })
            if changed { stageUsers(&s) }
            return (user, changed)
        }
        if changed {
            try await flush(users: true)
            try await shared?.saveUser(user)
        }
        return user
    }

    /// Starts a token family for `user` logged in through `origin`: an access token and its
    /// first refresh token, recorded durably before they are returned.
    func issueTokens(for user: UserRecord, origin: LoginOrigin) async throws -> (
        TokenResponse, family: String
    ) {
        let now = now()
        let family = UUID().uuidString.lowercased()
        let (response, claims, hash) = try mint(for: user, origin: origin, now: now)
        if let shared = configuration.sharedStore {
            let token = SharedRefreshToken(
                hash: hash, family: family, userID: user.id,
                expiresAt: now + configuration.refreshTokenLifetime,
                idp: origin.idp, groups: origin.groups)
            _ = try await shared.issue(
                token, accessJTI: claims.id, accessExpiresAt: claims.expiresAt, requireLiveFamily: false)
            return (response, family)
        }
        state.withLock { s in
            s.ledger.startFamily(family, userID: user.id, origin: origin)
            s.ledger.addRefreshToken(
                hash: hash, family: family, userID: user.id,
                expiresAt: now + configuration.refreshTokenLifetime)
            s.ledger.recordAccessToken(jti: claims.id, expiresAt: claims.expiresAt, family: family)
            stageTokens(&s, now: now)
        }
        try await flush(tokens: true)
        return (response, family)
    }

    /// Rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2): the presented token is spent, a
    /// new one issued in its family. A spent token presented again revokes the family.
    /// `failure` shapes the error: 401 at `/oauth2/refresh`, 400 `invalid_grant` at `/oauth2/token`.
    public func refresh(_ token: String, failure: (String) -> IdentityError) async throws -> TokenResponse {
        if let shared = configuration.sharedStore {
            return try await sharedRefresh(token, shared, failure: failure)
        }
        let now = now()
        let hash = Self.hash(token)
        let spent = state.withLock { s -> Result<TokenLedger.RefreshRecord, TokenLedger.RefreshFailure> in
            let result = s.ledger.spend(hash: hash, now: now)
            if case .failure(.unknown) = result { return result }
            stageTokens(&s, now: now)
            return result
        }
        let record: TokenLedger.RefreshRecord
        switch spent {
        case .success(let r): record = r
        case .failure(.unknown):
            throw failure("The refresh token is not valid")
        case .failure(.expired):
            try await flush(tokens: true)
            throw failure("The refresh token has expired")
        case .failure(.reused):
            try await flush(tokens: true)
            throw failure("The refresh token was already used; its session has been revoked")
        }
        guard let user = self.user(id: record.userID) else {
            throw failure("The refresh token's user no longer exists")
        }
        let origin = state.withLock { s in
            s.ledger.families[record.family].map { LoginOrigin(idp: $0.idp ?? "", groups: $0.groups ?? []) }
        }
        let (response, claims, newHash) = try mint(for: user, origin: origin ?? LoginOrigin(), now: now)
        let stillLive = state.withLock { s -> Bool in
            // A concurrent reuse may have revoked the family while we were signing.
            guard s.ledger.families[record.family] != nil else { return false }
            s.ledger.addRefreshToken(
                hash: newHash, family: record.family, userID: user.id,
                expiresAt: now + configuration.refreshTokenLifetime)
            s.ledger.recordAccessToken(jti: claims.id, expiresAt: claims.expiresAt, family: record.family)
            stageTokens(&s, now: now)
            return true
        }
        try await flush(tokens: true)
        guard stillLive else { throw failure("The refresh token's session has been revoked") }
        return response
    }

    /// Ends a token of `caller` (RFC 7009 §2.1). An access token goes on the revocation list
    /// until it expires; a refresh token ends its whole family, access tokens included (§2.1:
    /// "SHOULD also invalidate all access tokens based on the same authorization grant").
    /// Unknown tokens and other users' tokens are ignored: §2.2 answers success for an invalid
    /// token, and a caller must not be able to log someone else out.
    public func revoke(token: String, hint: String?, callerID: String) async throws {
        let now = now()
        let asAccess = { () -> AccessTokenClaims? in
            guard let claims = try? self.codec.verify(token, now: now), claims.subject == callerID else {
                return nil
            }
            return claims
        }
        var claims: AccessTokenClaims? = nil
        if hint != "refresh_token" { claims = asAccess() }
        if let shared = configuration.sharedStore {
            if let claims {
                try await shared.revokeAccessToken(jti: claims.id, expiresAt: claims.expiresAt)
            } else if let record = try await shared.refreshToken(hash: Self.hash(token)),
                record.userID == callerID
            {
                try await shared.revokeFamily(record.family)
            } else if hint == "refresh_token", let claims = asAccess() {
                try await shared.revokeAccessToken(jti: claims.id, expiresAt: claims.expiresAt)
            }
            // Read back at once: on this node the revocation holds before the answer.
            try await revocations.sync(shared, now: now, leeway: configuration.leeway)
            return
        }
        let changed = state.withLock { s -> Bool in
            if let claims {
                s.ledger.revokeAccessToken(jti: claims.id, expiresAt: claims.expiresAt)
            } else if let record = s.ledger.refreshTokens[Self.hash(token)], record.userID == callerID {
                s.ledger.revokeFamily(record.family)
            } else {
                return false
            }
            stageTokens(&s, now: now)
            return true
        }
        if !changed, hint == "refresh_token", let claims = asAccess() {
            // RFC 7009 §2.1: the hint is only a hint; fall back to the other token type.
            state.withLock { s in
                s.ledger.revokeAccessToken(jti: claims.id, expiresAt: claims.expiresAt)
                stageTokens(&s, now: now)
            }
        }
        try await flush(tokens: true)
    }

    /// RFC 7662 §2.2: `{active: true, ...}` for a usable access or refresh token of ours,
    /// otherwise only `{active: false}` (no reason is given for an inactive token).
    public func introspect(_ token: String, hint: String?) async throws -> JSONValue {
        if let claims = try? verifyAccessToken(token) {
            return [
                "active": true, "token_type": "Bearer", "sub": .string(claims.subject),
                "email": .string(claims.email), "name": .string(claims.name),
                "iss": .string(claims.issuer), "aud": .string(claims.audience), "jti": .string(claims.id),
                "iat": .number(Double(claims.issuedAt)), "nbf": .number(Double(claims.notBefore)),
                "exp": .number(Double(claims.expiresAt)), "idp": .string(claims.idp),
                "groups": .array(claims.groups.map { .string($0) }),
            ]
        }
        let now = now()
        if let shared = configuration.sharedStore {
            if let record = try await shared.refreshToken(hash: Self.hash(token)), !record.spent,
                now < record.expiresAt
            {
                return [
                    "active": true, "token_type": "refresh_token", "sub": .string(record.userID),
                    "iss": .string(configuration.publicBaseURL), "exp": .number(Double(record.expiresAt)),
                ]
            }
        } else if let record = state.withLock({ $0.ledger.liveRefreshToken(hash: Self.hash(token), now: now) }
        ) {
            return [
                "active": true, "token_type": "refresh_token", "sub": .string(record.userID),
                "iss": .string(configuration.publicBaseURL), "exp": .number(Double(record.expiresAt)),
            ]
        }
        return ["active": false]
    }

    /// OIDC Core §5.3.2 claims of the caller, plus the spec's `id` and `providers`.
    public func userInfo(userID: String) async throws -> JSONValue {
        guard let user = try await resolveUser(id: userID) else {
            throw IdentityError.unauthorized("The user no longer exists")
        }
        let providers: [JSONValue] = user.identities.enumerated().map { index, identity in
            ["provider": .string(identity.provider), "is_primary": .bool(index == 0)]
        }
        return [
            "sub": .string(user.id), "id": .string(user.id), "email": .string(user.email),
            "name": .string(user.name), "preferred_username": .string(user.email),
            "providers": .array(providers),
        ]
    }
}
