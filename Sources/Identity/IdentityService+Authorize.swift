import CollabCore
import WireProtocol

/// The parameters of `GET /oauth2/authorize`, as sent.
public struct AuthorizationRequest: Sendable {
    public var idp: String?
    public var scope: String?
    public var state: String?
    public var clientCallback: String?
    public var loginHint: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    /// Test provider only: the IdP groups the test user should have (`groups=a,b`).
    public var groups: String?

    public init(query: [String: String]) {
        idp = query["idp"]
        scope = query["scope"]
        state = query["state"]
        clientCallback = query["client_callback"]
        loginHint = query["login_hint"]
        codeChallenge = query["code_challenge"]
        codeChallengeMethod = query["code_challenge_method"]
        groups = query["groups"]
    }
}

/// Where `authorize` sends the browser, and the cookie that binds the login to that browser.
public struct AuthorizationRedirect: Sendable, Equatable {
    public var location: String
    /// The value of the `tmi_login` cookie to set, for logins through an external provider.
    public var bindingCookie: String?
}

/// How the callback ends: a redirect to the client's callback, or the tokens as JSON.
public enum CallbackOutcome: Sendable, Equatable {
    case redirect(String)
    case tokens(TokenResponse)
}

extension IdentityService {
    /// `GET /oauth2/providers`: `test` first when enabled, then the configured OIDC providers.
    public func providerList() -> JSONValue {
        let base = configuration.publicBaseURL
        var providers: [JSONValue] = []
        if configuration.testProviderEnabled {
            providers.append([
                "id": "test", "name": "Test Provider", "icon": "fa-solid fa-flask",
                "auth_url": .string(base + "/oauth2/authorize?idp=test"),
                "redirect_uri": .string(configuration.callbackURL), "client_id": "tmi-test-client",
            ])
        }
        for p in configuration.oidcProviders {
            providers.append([
                "id": .string(p.id), "name": .string(p.name), "icon": .string(p.icon),
                "auth_url": .string(base + "/oauth2/authorize?idp=" + URLQuery.escape(p.id)),
                "redirect_uri": .string(configuration.callbackURL), "client_id": .string(p.clientID),
            ])
        }
        return ["providers": .array(providers)]
    }

    func oidcProvider(_ id: String) -> OIDCProviderConfiguration? {
        configuration.oidcProviders.first { $0.id == id }
    }

    /// Validates an authorization request and returns where to send the browser: the provider's
    /// login page (with a cookie binding the login to this browser), or for `test` straight to
    /// our own callback with a code.
    public func authorize(_ request: AuthorizationRequest) async throws -> AuthorizationRedirect {
        guard let idp = request.idp ?? (configuration.testProviderEnabled ? TestProvider.id : nil) else {
            throw IdentityError.badRequest("The 'idp' parameter is required", code: "invalid_request")
        }
        let isTest = idp == TestProvider.id && configuration.testProviderEnabled
        let oidc = isTest ? nil : oidcProvider(idp)
        guard isTest || oidc != nil else {
            throw IdentityError.badRequest(
                "Provider '\(idp.prefix(64))' is not configured", code: "invalid_provider")
        }
        // OIDC Core §3.1.2.1: `scope` is REQUIRED and MUST contain `openid`.
        guard let scope = request.scope, scope.split(separator: " ").contains("openid") else {
            throw IdentityError.badRequest(
                "The 'scope' parameter must include 'openid'", code: "invalid_scope")
        }
        if let state = request.state, state.utf8.count > 512 {
            throw IdentityError.badRequest("The 'state' parameter is too long", code: "invalid_request")
        }
        if let callback = request.clientCallback { try validateClientCallback(callback) }
        let challenge = try Self.validateChallenge(request.codeChallenge, method: request.codeChallengeMethod)
        if challenge != nil && request.clientCallback == nil {
            throw IdentityError.badRequest(
                "PKCE needs 'client_callback': the code is delivered there", code: "invalid_request")
        }

        let now = now()
        let internalState = try CryptoPrimitives.randomToken()
        let expiresAt = now + configuration.authorizationLifetime
        var pending = PendingAuthorization(
            provider: idp, clientState: request.state, clientCallback: request.clientCallback,
            codeChallenge: challenge, expiresAt: expiresAt)
        let location: String
        var cookie: String? = nil
        var testCode: (String, TestProviderCode)? = nil
        if let oidc {
            let verifier = try CryptoPrimitives.randomToken()
            let nonce = try CryptoPrimitives.randomToken()
            let binding = try CryptoPrimitives.randomToken()
            pending.upstreamVerifier = verifier
            pending.nonce = nonce
            pending.browserBinding = Self.hash(binding)
            cookie = binding
            let upstreamChallenge = Base64URL.encode(try CryptoPrimitives.sha256(verifier))
            location = client(for: oidc).authorizationURL(
                state: internalState, redirectURI: configuration.callbackURL,
                codeChallenge: upstreamChallenge,
                nonce: nonce)
        } else {
            let code = try CryptoPrimitives.randomToken()
            let hint = try TestProvider.resolveHint(request.loginHint)
            let groups = try TestProvider.parseGroups(request.groups)
            testCode = (
                code,
                TestProviderCode(
                    state: Self.hash(internalState), hint: hint, groups: groups, expiresAt: expiresAt)
            )
            location = URLQuery.append(
                [("code", code), ("state", internalState)], to: configuration.callbackURL)
        }
        try await recordLogin(stateKey: Self.hash(internalState), pending, testCode: testCode, now: now)
        return AuthorizationRedirect(location: location, bindingCookie: cookie)
    }

    /// A `client_callback` receives tokens, so it must be an absolute http(s) URL without
    /// fragment (RFC 6749 §3.1.2) and, when the operator listed allowed callbacks, one of them.
    func validateClientCallback(_ url: String) throws(IdentityError) {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), !url.contains("#"),
            url.utf8.count <= 2048, url.split(separator: "/", omittingEmptySubsequences: false).count >= 3,
            !url.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty
        else {
            throw IdentityError.badRequest(
                "'client_callback' must be an absolute http(s) URL", code: "invalid_request")
        }
        if let allowed = configuration.allowedClientCallbacks, !allowed.contains(where: { url.hasPrefix($0) })
        {
            throw IdentityError.badRequest(
                "'client_callback' is not an allowed redirect", code: "invalid_request")
        }
    }

    /// RFC 7636 §4.2-4.3: only S256 is offered (no `plain`, which is also the default when the
    /// method is absent), and an S256 challenge is 43 base64url characters.
    static func validateChallenge(_ challenge: String?, method: String?) throws(IdentityError) -> String? {
        guard let challenge else {
            if method != nil {
                throw IdentityError.badRequest(
                    "'code_challenge_method' without 'code_challenge'", code: "invalid_request")
            }
            return nil
        }
        guard method == "S256" else {
            throw IdentityError.badRequest(
                "Only code_challenge_method=S256 is supported", code: "invalid_request")
        }
        guard challenge.utf8.count == 43, Base64URL.decode(challenge)?.count == 32 else {
            throw IdentityError.badRequest(
                "'code_challenge' is not an S256 challenge", code: "invalid_request")
        }
        return challenge
    }

    /// RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, where the
    /// verifier is 43-128 unreserved characters (§4.1).
    static func verifierMatches(_ verifier: String?, challenge: String) -> Bool {
        guard let verifier, (43...128).contains(verifier.utf8.count),
            verifier.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                    || b == 0x2E || b == 0x5F || b == 0x7E
            }),
            let digest = try? CryptoPrimitives.sha256(verifier)
        else { return false }
        return CryptoPrimitives.constantTimeEqual(Array(Base64URL.encode(digest).utf8), Array(challenge.utf8))
    }
}
