import CollabCore
import WireProtocol

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
        let stateKey = Self.hash(internalState)
        guard let (pending, used) = try await pendingLogin(stateKey, now: now) else {
            throw IdentityError.badRequest("Unknown or expired 'state'", code: "invalid_state")
        }
        // The login must end in the browser that started it: a callback carrying someone else's
        // code and state (login CSRF) lacks that browser's cookie.
        if let binding = pending.browserBinding {
            guard let bindingCookie,
                CryptoPrimitives.constantTimeEqual(Array(Self.hash(bindingCookie).utf8), Array(binding.utf8))
            else {
                throw IdentityError.badRequest(
                    "The login was not started in this browser (the login cookie is missing or wrong)",
                    code: "invalid_state")
            }
        }
        // A state is single-use: a second callback with it replays the code. Of two nodes
        // reached with it at once, the store lets exactly one claim it.
        if used { throw IdentityError.unauthorized("The authorization code was already used") }
        if providerError != nil || !(code?.isEmpty ?? true) {
            switch try await claimLogin(stateKey, now: now) {
            case .taken: break
            case .alreadyUsed: throw IdentityError.unauthorized("The authorization code was already used")
            case .unknown: throw IdentityError.badRequest("Unknown or expired 'state'", code: "invalid_state")
            }
        }
        if let providerError {
            throw IdentityError.unauthorized(
                "The login provider refused the login: \(providerError.prefix(100))")
        }
        guard let code, !code.isEmpty else {
            throw IdentityError.badRequest("The 'code' parameter is required", code: "invalid_request")
        }
        let identity = try await redeem(code: code, stateKey: stateKey, pending: pending) {
            IdentityError.unauthorized($0)
        }
        let user = try await registerLogin(identity, provider: pending.provider)
        let origin = LoginOrigin(idp: pending.provider, groups: identity.groups)
        if let challenge = pending.codeChallenge, let clientCallback = pending.clientCallback {
            let grant = try CryptoPrimitives.randomToken()
            try await recordGrant(
                grant,
                LoginGrant(
                    userID: user.id, origin: origin, codeChallenge: challenge, clientCallback: clientCallback,
                    expiresAt: now + configuration.authorizationLifetime), now: now)
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
        code: String, stateKey: String, pending: PendingAuthorization, failure: (String) -> IdentityError
    ) async throws -> ProviderIdentity {
        if pending.provider == TestProvider.id {
            guard let found = try await takeTestCode(code, stateKey: stateKey, now: now()) else {
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

        // 1. A code of ours, issued at the callback of a PKCE login: used here whatever follows.
        let grant: LoginGrant
        switch try await takeGrant(code, now: now) {
        case .unknown:
            return try await exchangeProviderCode(
                code: code, redirectURI: redirectURI, clientState: clientState, codeVerifier: codeVerifier,
                idp: idp)
        case .alreadyUsed(let entry):
            // RFC 6749 §4.1.2: a code used twice SHOULD revoke the tokens issued for it.
            if let family = Self.decodePending(LoginGrant.self, entry)?.family {
                if let shared = configuration.sharedStore {
                    try await shared.revokeFamily(family)
                    try await revocations.sync(shared, now: now, leeway: configuration.leeway)
                } else {
                    state.withLock { s in
                        s.ledger.revokeFamily(family)
                        stageTokens(&s, now: now)
                    }
                    try await flush(tokens: true)
                }
            }
            throw invalid("The authorization code was already used")
        case .taken(let entry):
            guard let g = Self.decodePending(LoginGrant.self, entry) else {
                throw invalid("The authorization code is invalid, expired or already used")
            }
            grant = g
        }
        guard grant.expiresAt > now else { throw invalid("The authorization code has expired") }
        guard redirectURI == grant.clientCallback || redirectURI == callbackURL else {
            throw invalid("'redirect_uri' does not match the authorization request")
        }
        if let challenge = grant.codeChallenge, !Self.verifierMatches(codeVerifier, challenge: challenge) {
            throw invalid("The 'code_verifier' does not match the 'code_challenge'")
        }
        // The login may have registered its user on another node: ask the shared store too.
        guard let user = try await resolveUser(id: grant.userID) else {
            throw invalid("The user no longer exists")
        }
        let (tokens, family) = try await issueTokens(for: user, origin: grant.origin)
        try await recordGrantFamily(code, grant, family: family)
        return tokens
    }

    /// `exchange` for a code that is not ours: a provider's code, found by its login (the test
    /// code's, or the `state` sent), or else traded with the provider named by `idp`.
    private func exchangeProviderCode(
        code: String, redirectURI: String, clientState: String?, codeVerifier: String?, idp: String?
    ) async throws -> TokenResponse {
        let invalid = { (why: String) in IdentityError.badRequest(why, code: "invalid_grant") }
        let now = now()
        let callbackURL = configuration.callbackURL

        // 2. A provider's code: find its login by the test code, or by `state`.
        var found: (stateKey: String, pending: PendingAuthorization)? = nil
        if let (c, _) = try await testCode(code, now: now),
            let (p, _) = try await pendingLogin(c.state, now: now)
        {
            found = (c.state, p)
        } else if let clientState, let (p, _) = try await pendingLogin(Self.hash(clientState), now: now) {
            found = (Self.hash(clientState), p)
        }
        if let (stateKey, pending) = found {
            if let clientState, Self.hash(clientState) != stateKey, clientState != pending.clientState {
                throw invalid("'state' does not match the authorization request")
            }
            guard redirectURI == callbackURL || redirectURI == pending.clientCallback else {
                throw invalid("'redirect_uri' does not match the authorization request")
            }
            guard case .taken = try await claimLogin(stateKey, now: now) else {
                throw invalid("The authorization code is invalid, expired or already used")
            }
            // RFC 7636 §4.6: a login that sent a challenge needs the matching verifier.
            if let challenge = pending.codeChallenge,
                !Self.verifierMatches(codeVerifier, challenge: challenge)
            {
                throw invalid("The 'code_verifier' does not match the 'code_challenge'")
            }
            let identity = try await redeem(
                code: code, stateKey: stateKey, pending: pending, failure: invalid)
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
