import CollabCore

extension OIDCProviderConfiguration {
    /// The fields a provider entry of `--idp-config` may have. Anything else is refused by name,
    /// so a typo (`clientid`) fails start-up instead of silently configuring nothing.
    static let fileFields: Set<String> = [
        "id", "type", "name", "icon", "issuer", "tenant", "client_id", "client_secret", "client_secret_env",
        "scopes", "groups_claim", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
        "api_base_url",
    ]

    /// The providers of an `--idp-config` file (docs/identity.md):
    /// `{"providers": [{"id": "corp", "type": "oidc", "issuer": ..., "client_id": ...}, ...]}`.
    /// `type` is `oidc` (the default), `google`, `microsoft` (with `tenant`) or `github`; presets
    /// fill issuer, endpoints, name, icon and scopes, and any of them can still be overridden.
    /// Every error names the provider and the field.
    public static func fromFile(_ bytes: [UInt8], environment: [String: String] = [:])
        throws(IdentityConfigurationError) -> [OIDCProviderConfiguration]
    {
        guard bytes.count <= 1 << 20 else {
            throw IdentityConfigurationError("--idp-config: file is over 1 MiB")
        }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw IdentityConfigurationError("--idp-config: not valid JSON (\(error))")
        }
        guard case .object(let top) = document else {
            throw IdentityConfigurationError("--idp-config: expected an object with a 'providers' array")
        }
        if let unknown = top.keys.sorted().first(where: { $0 != "providers" }) {
            throw IdentityConfigurationError("--idp-config: unknown field '\(unknown)'")
        }
        guard case .array(let entries)? = top["providers"] else {
            throw IdentityConfigurationError("--idp-config: 'providers' must be an array")
        }
        guard entries.count <= 64 else {
            throw IdentityConfigurationError("--idp-config: more than 64 providers")
        }
        var providers: [OIDCProviderConfiguration] = []
        for (index, entry) in entries.enumerated() {
            let provider = try parseEntry(entry, index: index, environment: environment)
            guard provider.id != TestProvider.id, !providers.contains(where: { $0.id == provider.id }) else {
                throw IdentityConfigurationError(
                    "--idp-config: provider '\(provider.id)': field 'id' is listed twice or is reserved")
            }
            providers.append(provider)
        }
        return providers
    }

    private static func parseEntry(_ entry: JSONValue, index: Int, environment: [String: String])
        throws(IdentityConfigurationError) -> OIDCProviderConfiguration
    {
        guard case .object(let fields) = entry else {
            throw IdentityConfigurationError("--idp-config: providers[\(index)] is not an object")
        }
        let label = fields["id"]?.stringValue.map { "provider '\($0.prefix(64))'" } ?? "providers[\(index)]"
        func fail(_ field: String, _ why: String) -> IdentityConfigurationError {
            IdentityConfigurationError("--idp-config: \(label): field '\(field)' \(why)")
        }
        if let unknown = fields.keys.sorted().first(where: { !fileFields.contains($0) }) {
            throw fail(unknown, "is not a known field")
        }
        func string(_ name: String) throws(IdentityConfigurationError) -> String? {
            guard let value = fields[name] else { return nil }
            guard let text = value.stringValue, !text.isEmpty, text.utf8.count <= 4096 else {
                throw fail(name, "must be a non-empty string")
            }
            return text
        }
        func url(_ name: String) throws(IdentityConfigurationError) -> String? {
            guard let text = try string(name) else { return nil }
            let lower = text.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
                throw fail(name, "must be an http(s) URL")
            }
            return text
        }
        guard let id = try string("id") else { throw fail("id", "is required") }
        guard id.utf8.count <= 64,
            id.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
            })
        else { throw fail("id", "must be 1-64 of a-z, 0-9, '-' and '_'") }
        let type = try string("type") ?? "oidc"
        guard let clientID = try string("client_id") else { throw fail("client_id", "is required") }
        var secret = try string("client_secret") ?? ""
        if let variable = try string("client_secret_env") {
            guard let value = environment[variable], !value.isEmpty else {
                throw fail("client_secret_env", "names '\(variable)', which is not set")
            }
            secret = value
        }
        var provider: OIDCProviderConfiguration
        switch type {
        case "oidc":
            guard let issuer = try url("issuer") else { throw fail("issuer", "is required for type 'oidc'") }
            provider = OIDCProviderConfiguration(
                id: id, name: id, issuer: issuer, authorizationEndpoint: "", tokenEndpoint: "",
                userinfoEndpoint: nil, clientID: clientID, clientSecret: secret)
        case "google":
            provider = .google(id: id, clientID: clientID, clientSecret: secret)
        case "microsoft":
            provider = .microsoft(
                id: id, tenant: try string("tenant") ?? "common", clientID: clientID, clientSecret: secret)
        case "github":
            provider = .github(id: id, clientID: clientID, clientSecret: secret)
        default:
            throw fail("type", "must be one of oidc, google, microsoft, github (got '\(type.prefix(40))')")
        }
        if fields["tenant"] != nil && type != "microsoft" {
            throw fail("tenant", "applies only to type 'microsoft'")
        }
        if let name = try string("name") { provider.name = name }
        if let icon = try string("icon") { provider.icon = icon }
        if type != "oidc", let issuer = try url("issuer") { provider.issuer = issuer }
        if let v = try url("authorization_endpoint") { provider.authorizationEndpoint = v }
        if let v = try url("token_endpoint") { provider.tokenEndpoint = v }
        if let v = try url("userinfo_endpoint") { provider.userinfoEndpoint = v }
        if let v = try url("jwks_uri") { provider.jwksURI = v }
        if let v = try url("api_base_url") {
            guard type == "github" else { throw fail("api_base_url", "applies only to type 'github'") }
            provider.apiBaseURL = v
        }
        if let v = try string("groups_claim") { provider.groupsClaim = v }
        if let value = fields["scopes"] {
            guard case .array(let list) = value, !list.isEmpty, list.count <= 32,
                list.allSatisfy({
                    ($0.stringValue?.isEmpty == false) && !($0.stringValue ?? "").contains(" ")
                })
            else { throw fail("scopes", "must be a non-empty array of scope names") }
            provider.scopes = list.compactMap(\.stringValue)
            if provider.kind == .oidc, !provider.scopes.contains("openid") {
                provider.scopes.insert("openid", at: 0)
            }
        }
        return provider
    }
}

extension OIDCProviderConfiguration {
    /// Google (OIDC): everything from `https://accounts.google.com` discovery. Google names no
    /// groups in its ID tokens, so users from it have none.
    public static func google(id: String = "google", clientID: String, clientSecret: String)
        -> OIDCProviderConfiguration
    {
        OIDCProviderConfiguration(
            id: id, name: "Google", icon: "fa-brands fa-google", issuer: "https://accounts.google.com",
            authorizationEndpoint: "", tokenEndpoint: "", userinfoEndpoint: nil, clientID: clientID,
            clientSecret: clientSecret)
    }

    /// Microsoft Entra ID (OIDC v2.0) for `tenant`: a tenant id or domain, or `common` /
    /// `organizations` / `consumers` for multi-tenant apps (then the issuer is checked against
    /// the tenant the token names, as its discovery document's `{tenantid}` template says).
    public static func microsoft(
        id: String = "microsoft", tenant: String, clientID: String, clientSecret: String
    )
        -> OIDCProviderConfiguration
    {
        OIDCProviderConfiguration(
            id: id, name: "Microsoft", icon: "fa-brands fa-microsoft",
            issuer: "https://login.microsoftonline.com/\(URLQuery.escape(tenant))/v2.0",
            authorizationEndpoint: "", tokenEndpoint: "", userinfoEndpoint: nil, clientID: clientID,
            clientSecret: clientSecret)
    }

    /// GitHub (OAuth 2 apps, no OIDC): the user from `GET /user`, the email from the primary
    /// verified entry of `GET /user/emails`.
    public static func github(id: String = "github", clientID: String, clientSecret: String)
        -> OIDCProviderConfiguration
    {
        OIDCProviderConfiguration(
            id: id, name: "GitHub", icon: "fa-brands fa-github", issuer: "https://github.com",
            authorizationEndpoint: "https://github.com/login/oauth/authorize",
            tokenEndpoint: "https://github.com/login/oauth/access_token", userinfoEndpoint: nil,
            clientID: clientID, clientSecret: clientSecret, scopes: ["read:user", "user:email"], kind: .github
        )
    }
}
