import CollabCore
import WireProtocol

/// Who logged in through GitHub, which speaks OAuth 2 but not OIDC: no ID token, so the user
/// comes from `GET /user` (its numeric `id` is the stable subject; `login` can be renamed) and
/// the email from `GET /user/emails`, taking the primary address only if GitHub verified it.
enum GitHubUser {
    static func fetch(provider: OIDCProviderConfiguration, transport: any OIDCTransport, accessToken: String)
        async throws(ProviderRejection) -> ProviderIdentity
    {
        var headers = HTTPHeaders()
        headers.set("Authorization", "Bearer \(accessToken)")
        headers.set("Accept", "application/vnd.github+json")
        headers.set("User-Agent", "tmi-server")
        var base = provider.apiBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        let user = try await ProviderHTTP.json(transport, "GET", base + "/user", headers, [])
        let subject: String
        switch user["id"] {
        case .number(let n)? where n.isFinite && n == n.rounded() && abs(n) < 1e15: subject = String(Int64(n))
        case .string(let s)? where !s.isEmpty: subject = s
        default: throw .unavailable("GitHub /user has no id")
        }
        let emails = try await ProviderHTTP.json(
            transport, "GET", base + "/user/emails", headers, [], array: true)
        let primary = (emails.arrayValue ?? []).first { $0["primary"]?.boolValue == true }
        let verified = primary?["verified"]?.boolValue == true
        let email = verified ? (primary?["email"]?.stringValue ?? "") : ""
        let login = user["login"]?.stringValue ?? ""
        let name = user["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? login
        return ProviderIdentity(
            subject: subject, email: email, name: name, emailVerified: verified && !email.isEmpty)
    }
}
