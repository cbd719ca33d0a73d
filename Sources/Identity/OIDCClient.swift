import CollabCore
import FoundationEssentials
import WireProtocol

/// What a provider said about the person who logged in.
struct ProviderIdentity: Sendable, Equatable {
    var subject: String
    var email: String
    var name: String
    var emailVerified: Bool
    /// The user's groups at the provider (the configured groups claim), normalized.
    var groups: [String] = []
}

/// Where a login came from, as our tokens state it: the `idp` and `groups` claims.
struct LoginOrigin: Codable, Sendable, Equatable {
    var idp = ""
    var groups: [String] = []
}

/// The authorization-code exchange with an external provider (OIDC Core §3.1.3, RFC 6749 §4.1)
/// and who the user is: for OIDC the verified ID token, plus userinfo (§5.3) when the provider
/// has one; for GitHub its REST API.
struct OIDCClient: Sendable {
    let provider: OIDCProviderConfiguration
    let transport: any OIDCTransport
    /// The provider's JWKS (OIDC only).
    let keys: ProviderKeySet?
    /// Clock and skew for the ID token's time claims.
    var now: Int64 = 0
    var skew: Int64 = 60

    /// The provider's authorization URL for a login (OIDC Core §3.1.2.1), with our PKCE
    /// challenge (RFC 7636) and, for OIDC, the nonce the ID token must carry back.
    func authorizationURL(state: String, redirectURI: String, codeChallenge: String, nonce: String?) -> String
    {
        var items = [
            ("response_type", "code"), ("client_id", provider.clientID), ("redirect_uri", redirectURI),
            ("scope", provider.scopes.joined(separator: " ")), ("state", state),
            ("code_challenge", codeChallenge), ("code_challenge_method", "S256"),
        ]
        if let nonce, provider.kind == .oidc { items.append(("nonce", nonce)) }
        return URLQuery.append(items, to: provider.authorizationEndpoint)
    }

    /// Trades `code` for the user's identity.
    func identity(code: String, redirectURI: String, codeVerifier: String?, nonce: String?)
        async throws(ProviderRejection) -> ProviderIdentity
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
        let tokens = try await ProviderHTTP.json(
            transport, "POST", provider.tokenEndpoint, headers, Array(URLQuery.encode(form).utf8))
        // GitHub answers a refused code with 200 and an `error` member.
        if let error = tokens["error"]?.stringValue { throw .rejected(error) }
        guard let accessToken = tokens["access_token"]?.stringValue, !accessToken.isEmpty else {
            throw .unavailable("the token response has no access_token")
        }
        switch provider.kind {
        case .github:
            return try await GitHubUser.fetch(
                provider: provider, transport: transport, accessToken: accessToken)
        case .oidc:
            return try await oidcIdentity(tokens: tokens, accessToken: accessToken, nonce: nonce)
        }
    }

    private func oidcIdentity(tokens: JSONValue, accessToken: String, nonce: String?)
        async throws(ProviderRejection) -> ProviderIdentity
    {
        // OIDC Core §3.1.3.3: the token response of an OIDC login carries an ID token.
        guard let idToken = tokens["id_token"]?.stringValue, let keys else {
            throw .invalidIDToken("the provider sent no ID token")
        }
        let parsed = try IDTokenVerifier.parse(idToken)
        let key = try await keys.key(for: parsed)
        var claims = try IDTokenVerifier.verify(
            parsed, key: key,
            expecting: .init(
                issuer: provider.issuer, clientID: provider.clientID, nonce: nonce, now: now, skew: skew))
        if let userinfo = provider.userinfoEndpoint {
            var headers = HTTPHeaders()
            headers.set("Authorization", "Bearer \(accessToken)")
            headers.set("Accept", "application/json")
            guard
                case .object(let more) = try await ProviderHTTP.json(transport, "GET", userinfo, headers, [])
            else { throw .unavailable("userinfo is not an object") }
            // OIDC Core §5.3.2: the userinfo `sub` MUST match the ID token's, or it is not used.
            guard more["sub"] == claims["sub"] else {
                throw .invalidIDToken("userinfo names another subject")
            }
            claims.merge(more) { _, new in new }
        }
        let email = claims["email"]?.stringValue ?? ""
        return ProviderIdentity(
            subject: claims["sub"]?.stringValue ?? "", email: email,
            name: claims["name"]?.stringValue ?? claims["preferred_username"]?.stringValue ?? email,
            emailVerified: claims["email_verified"]?.boolValue ?? false,
            groups: ProviderGroups.normalize(claims[provider.groupsClaim]))
    }
}

/// A provider's groups claim as our tokens carry it: an array of strings (or one string),
/// trimmed, deduplicated, at most `maxCount` names of at most `maxLength` bytes. Anything past
/// the bounds is dropped: the list rides in every access token, so it must stay small.
enum ProviderGroups {
    static let maxCount = 200
    static let maxLength = 256

    static func normalize(_ claim: JSONValue?) -> [String] {
        let raw: [String]
        switch claim {
        case .string(let one)?: raw = [one]
        case .array(let many)?: raw = many.compactMap(\.stringValue)
        default: raw = []
        }
        var groups: [String] = []
        var seen = Set<String>()
        for name in raw.lazy.map({ $0.trimmingSpaces() }) where !name.isEmpty && name.utf8.count <= maxLength
        {
            if seen.insert(name).inserted { groups.append(name) }
            if groups.count == maxCount { break }
        }
        return groups
    }
}
