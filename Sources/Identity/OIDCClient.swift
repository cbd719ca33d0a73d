import CollabCore
import FoundationEssentials
import WireProtocol

/// What an OIDC provider said about the person who logged in.
struct ProviderIdentity: Sendable, Equatable {
    var subject: String
    var email: String
    var name: String
    var emailVerified: Bool
    /// The user's groups at the provider (the configured groups claim), normalized.
    var groups: [String] = []
}

/// Where a login came from, as our tokens state it: the `idp` and `groups` claims.
struct LoginOrigin: Sendable, Equatable {
    var idp = ""
    var groups: [String] = []
}

/// Why a provider would not vouch for the user.
enum ProviderRejection: Error, Equatable {
    /// The provider refused the code (bogus, replayed, expired): a client error.
    case rejected(String)
    /// The provider could not be reached or answered nonsense: our problem (500).
    case unavailable(String)
}

/// The authorization-code exchange with an external provider (OIDC Core §3.1.3) and the user's
/// claims from its userinfo endpoint (§5.3), over an `OIDCTransport`.
struct OIDCClient: Sendable {
    let provider: OIDCProviderConfiguration
    let transport: any OIDCTransport

    /// The provider's authorization URL for a login (OIDC Core §3.1.2.1), with our PKCE challenge.
    func authorizationURL(state: String, redirectURI: String, codeChallenge: String) -> String {
        let items = [
            ("response_type", "code"), ("client_id", provider.clientID), ("redirect_uri", redirectURI),
            ("scope", provider.scopes.joined(separator: " ")), ("state", state),
            ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ]
        return URLQuery.append(items, to: provider.authorizationEndpoint)
    }

    /// Trades `code` for the user's identity.
    func identity(code: String, redirectURI: String, codeVerifier: String?) async throws(ProviderRejection)
        -> ProviderIdentity
    {
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            // RFC 6749 §2.3.1: client_secret_post, accepted by every provider we target.
            ("client_id", provider.clientID), ("client_secret", provider.clientSecret),
        ]
        if let codeVerifier { form.append(("code_verifier", codeVerifier)) }
        var headers = HTTPHeaders()
        headers.set("Content-Type", "application/x-www-form-urlencoded")
        headers.set("Accept", "application/json")
        let tokens = try await call(
            "POST", provider.tokenEndpoint, headers, Array(URLQuery.encode(form).utf8))
        guard let accessToken = tokens["access_token"]?.stringValue else {
            throw .unavailable("the token response has no access_token")
        }
        let claims: JSONValue
        if let userinfo = provider.userinfoEndpoint {
            var headers = HTTPHeaders()
            headers.set("Authorization", "Bearer \(accessToken)")
            headers.set("Accept", "application/json")
            claims = try await call("GET", userinfo, headers, [])
        } else {
            claims = try idTokenClaims(tokens["id_token"]?.stringValue)
        }
        guard let subject = claims["sub"]?.stringValue, !subject.isEmpty else {
            throw .unavailable("the provider sent no subject")
        }
        let email = claims["email"]?.stringValue ?? ""
        return ProviderIdentity(
            subject: subject, email: email, name: claims["name"]?.stringValue ?? email,
            emailVerified: claims["email_verified"]?.boolValue ?? false)
    }

    /// The claims of an ID token received directly from the token endpoint. OIDC Core §3.1.3.7
    /// (6) lets a client rely on the direct channel instead of the signature, but `iss` and `aud`
    /// must still match (items 2 and 3).
    private func idTokenClaims(_ token: String?) throws(ProviderRejection) -> JSONValue {
        guard let token else { throw .unavailable("no userinfo endpoint and no id_token") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let bytes = Base64URL.decode(parts[1]),
            let claims = try? JSONValue.parse(bytes)
        else { throw .unavailable("the id_token is malformed") }
        guard claims["iss"]?.stringValue == provider.issuer else {
            throw .rejected("id_token issuer mismatch")
        }
        let audience = claims["aud"]
        guard
            audience == .string(provider.clientID)
                || audience?.arrayValue?.contains(.string(provider.clientID)) == true
        else { throw .rejected("id_token audience mismatch") }
        return claims
    }

    private func call(_ method: String, _ url: String, _ headers: HTTPHeaders, _ body: [UInt8])
        async throws(ProviderRejection) -> JSONValue
    {
        let response: HTTPClientResponse
        do {
            response = try await transport.send(method: method, url: url, headers: headers, body: body)
        } catch {
            throw .unavailable("\(method) \(url): \(error)")
        }
        let json = try? JSONValue.parse(response.decodedBody ?? response.body)
        // RFC 6749 §5.2: a refused grant is a 400 (sometimes 401) with an `error` code.
        if response.status == 400 || response.status == 401 {
            throw .rejected(json?["error"]?.stringValue ?? "status \(response.status)")
        }
        guard response.status == 200, let json, json.objectValue != nil else {
            throw .unavailable("\(method) \(url) answered \(response.status)")
        }
        return json
    }
}
