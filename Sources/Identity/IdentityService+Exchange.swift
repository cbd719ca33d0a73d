import CollabCore

extension IdentityService {
    /// `GET /oauth2/callback`: the provider sends the browser back with `code` and our `state`.
    /// DESIGN §10: an unknown or expired `state` is 400; a code the provider rejects (bogus,
    /// replayed) is 401. With PKCE the client gets a code of ours to trade at `/oauth2/token`
    /// with its verifier; otherwise it gets the tokens (redirect or JSON).
    public func callback(
        code: String?, state internalState: String?, providerError: String?, bindingCookie: String? = nil
    ) async throws -> CallbackOutcome {
        guard let internalState, !internalState.isEmpty else {
            throw IdentityError.badRequest("The 'state' parameter is required", code: "invalid_request")
        }
        let now = now()
        let pending = try state.withLock { s throws(IdentityError) -> PendingAuthorization in
            guard let p = s.pending[internalState], p.expiresAt > now else {
                throw IdentityError.badRequest("Unknown or expired 'state'", code: "invalid_state")
            }
            // The login must end in the browser that started it: a callback carrying someone
            // else's code and state (login CSRF) lacks that browser's cookie.
            if let binding = p.browserBinding {
                guard let bindingCookie,
                    CryptoPrimitives.constantTimeEqual(
                        Array(Self.hash(bindingCookie).utf8), Array(binding.utf8))
                else {
                    throw IdentityError.badRequest(
                        "The login was not started in this browser (the login cookie is missing or wrong)",
                        code: "invalid_state")
                }
            }
            // A state is single-use: a second callback with it replays the code.
            if p.consumed { throw IdentityError.unauthorized("The authorization code was already used") }
            if providerError == nil, code?.isEmpty ?? true { return p }
            s.pending[internalState]?.consumed = true
            return p
        }
        if let providerError {
            throw IdentityError.unauthorized(
                "The login provider refused the login: \(providerError.prefix(100))")
        }
        guard let code, !code.isEmpty else {
            throw IdentityError.badRequest("The 'code' parameter is required", code: "invalid_request")
        }
        let identity = try await redeem(code: code, internalState: internalState, pending: pending) {
            IdentityError.unauthorized($0)
        }
        let user = try await registerLogin(identity, provider: pending.provider)
        let origin = LoginOrigin(idp: pending.provider, groups: identity.groups)
        if let challenge = pending.codeChallenge, let clientCallback = pending.clientCallback {
            let grant = try CryptoPrimitives.randomToken()
            state.withLock { s in
                s.grants[grant] = LoginGrant(
                    userID: user.id, origin: origin, codeChallenge: challenge, clientCallback: clientCallback,
                    expiresAt: now + configuration.authorizationLifetime)
            }
            var items = [("code", grant)]
            if let clientState = pending.clientState { items.append(("state", clientState)) }
            return .redirect(URLQuery.append(items, to: clientCallback))
        }
        let (tokens, _) = try await issueTokens(for: user, origin: origin)
        if let clientCallback = pending.clientCallback {
            return .redirect(
                URLQuery.append(tokens.queryItems(state: pending.clientState), to: clientCallback))
        }
        return .tokens(tokens)
    }

    /// Asks the login's provider who `code` belongs to. `failure` shapes a refusal (401 at the
    /// callback, 400 `invalid_grant` at the token endpoint); an unreachable provider is a 502.
    private func redeem(
        code: String, internalState: String, pending: PendingAuthorization, failure: (String) -> IdentityError
    ) async throws -> ProviderIdentity {
        if pending.provider == TestProvider.id {
            let now = now()
            let found = state.withLock { s -> TestProviderCode? in
                guard let c = s.testCodes[code], !c.used, c.state == internalState, c.expiresAt > now else {
                    return nil
                }
                s.testCodes[code]?.used = true
                return c
            }
            guard let found else {
                throw failure("The authorization code is invalid, expired or already used")
            }
            let (identity, email, name) = TestProvider.identity(hint: found.hint)
            return ProviderIdentity(
                subject: identity.subject, email: email, name: name, emailVerified: true, groups: found.groups
            )
        }
        guard let provider = oidcProvider(pending.provider) else { throw failure("The provider is gone") }
        return try await providerIdentity(
            provider, code: code, redirectURI: configuration.callbackURL,
            codeVerifier: pending.upstreamVerifier,
            nonce: pending.nonce, failure: failure)
    }

    /// One code exchange with `provider`, its failures turned into client-facing errors and a
    /// warning line naming the provider and the reason (never the code or any token).
    func providerIdentity(
        _ provider: OIDCProviderConfiguration, code: String, redirectURI: String, codeVerifier: String?,
        nonce: String?, failure: (String) -> IdentityError
    ) async throws(IdentityError) -> ProviderIdentity {
        do throws(ProviderRejection) {
            let identity = try await client(for: provider).identity(
                code: code, redirectURI: redirectURI, codeVerifier: codeVerifier, nonce: nonce)
            guard !identity.subject.isEmpty else { throw .unavailable("the provider sent no subject") }
            return identity
        } catch {
            configuration.warn("login through '\(provider.id)' failed: \(error.reason)")
            switch error {
            case .rejected(let why):
                throw failure("The login provider rejected the code: \(why.prefix(100))")
            case .invalidIDToken(let why):
                throw failure("The login provider's ID token was refused: \(why.prefix(200))")
            case .unavailable(let why):
                throw IdentityError(
                    status: 502, code: "idp_unavailable",
                    description: "The login provider '\(provider.id)' could not be used: \(why.prefix(300))")
            }
        }
    }

    /// `POST /oauth2/token` with `grant_type=authorization_code` (RFC 6749 §4.1.3, DESIGN §10).
    /// Accepts, once and within the authorization lifetime: a code of ours issued at the callback
    /// (PKCE), a test-provider code, or an OIDC provider's code (by `state`, or by `idp`).
    /// Every refusal is 400 `invalid_grant` (RFC 6749 §5.2).
    public func exchange(
        code: String, redirectURI: String, clientState: String?, codeVerifier: String?, idp: String?
    )
        async throws -> TokenResponse
    {
        let invalid = { (why: String) in IdentityError.badRequest(why, code: "invalid_grant") }
        let now = now()
        let callbackURL = configuration.callbackURL

        // 1. A code of ours, issued at the callback of a PKCE login.
        enum GrantCheck { case notOurs, ok(LoginGrant), refused(String) }
        let shared = configuration.sharedStore
        var replayedFamily: String? = nil
        let check = try state.withLock { s -> GrantCheck in
            guard let g = s.grants[code] else { return .notOurs }
            if g.used {
                // RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens issued for it.
                if let family = g.family {
                    if shared != nil {
                        replayedFamily = family
                    } else {
                        s.ledger.revokeFamily(family)
                        try stageTokens(&s, now: now)
                    }
                }
                return .refused("The authorization code was already used")
            }
            s.grants[code]?.used = true
            guard g.expiresAt > now else { return .refused("The authorization code has expired") }
            guard redirectURI == g.clientCallback || redirectURI == callbackURL else {
                return .refused("'redirect_uri' does not match the authorization request")
            }
            if let challenge = g.codeChallenge, !Self.verifierMatches(codeVerifier, challenge: challenge) {
                return .refused("The 'code_verifier' does not match the 'code_challenge'")
            }
            return .ok(g)
        }
        if let shared, let replayedFamily {
            try await shared.revokeFamily(replayedFamily)
            try await revocations.sync(shared, now: now, leeway: configuration.leeway)
        }
        switch check {
        case .refused(let why):
            try await flush(tokens: true)
            throw invalid(why)
        case .ok(let grant):
            guard let user = user(id: grant.userID) else { throw invalid("The user no longer exists") }
            let (tokens, family) = try await issueTokens(for: user, origin: grant.origin)
            state.withLock { $0.grants[code]?.family = family }
            return tokens
        case .notOurs:
            break
        }

        // 2. A provider's code: find its login by the test code, or by `state`.
        let found = state.withLock { s -> (state: String, pending: PendingAuthorization)? in
            if let c = s.testCodes[code], let p = s.pending[c.state] { return (c.state, p) }
            if let clientState, let p = s.pending[clientState] { return (clientState, p) }
            return nil
        }
        if let (internalState, pending) = found {
            if let clientState, clientState != internalState, clientState != pending.clientState {
                throw invalid("'state' does not match the authorization request")
            }
            guard redirectURI == callbackURL || redirectURI == pending.clientCallback else {
                throw invalid("'redirect_uri' does not match the authorization request")
            }
            let claimed = state.withLock { s -> Bool in
                guard let p = s.pending[internalState], !p.consumed, p.expiresAt > now else { return false }
                s.pending[internalState]?.consumed = true
                return true
            }
            guard claimed else { throw invalid("The authorization code is invalid, expired or already used") }
            // RFC 7636 §4.6: a login that sent a challenge needs the matching verifier.
            if let challenge = pending.codeChallenge,
                !Self.verifierMatches(codeVerifier, challenge: challenge)
            {
                throw invalid("The 'code_verifier' does not match the 'code_challenge'")
            }
            let identity = try await redeem(
                code: code, internalState: internalState, pending: pending, failure: invalid)
            let user = try await registerLogin(identity, provider: pending.provider)
            let origin = LoginOrigin(idp: pending.provider, groups: identity.groups)
            return try await issueTokens(for: user, origin: origin).0
        }

        // 3. A code the client got from an OIDC provider on its own: exchange it by `idp`.
        guard let idp, let provider = oidcProvider(idp) else {
            throw invalid("The authorization code is invalid, expired or already used")
        }
        let identity = try await providerIdentity(
            provider, code: code, redirectURI: redirectURI, codeVerifier: codeVerifier, nonce: nil,
            failure: invalid)
        let user = try await registerLogin(identity, provider: provider.id)
        return try await issueTokens(
            for: user, origin: LoginOrigin(idp: provider.id, groups: identity.groups)
        ).0
    }
}
