extension OIDCProviderConfiguration {
    /// External providers named by environment variables, so an operator can add one without a
    /// flag per field: `TMI_OIDC_PROVIDERS=corp,dex` lists ids, and for each id `X` (upper-cased,
    /// `-` as `_`): `TMI_OIDC_X_ISSUER` and `_CLIENT_ID` (required), `_CLIENT_SECRET`,
    /// `_AUTHORIZATION_ENDPOINT`, `_TOKEN_ENDPOINT`, `_USERINFO_ENDPOINT`, `_JWKS_URI` (each
    /// taken from the issuer's discovery document when absent), `_SCOPES` (space separated,
    /// default `openid email profile`), `_GROUPS_CLAIM` (default `groups`), `_NAME`, `_ICON`.
    /// The same model as `--idp-config` entries of type `oidc`.
    /// A listed provider with a required field missing is a start-up error, not a silent skip.
    public static func fromEnvironment(_ environment: [String: String]) throws(IdentityConfigurationError)
        -> [OIDCProviderConfiguration]
    {
        guard let list = environment["TMI_OIDC_PROVIDERS"] else { return [] }
        var providers: [OIDCProviderConfiguration] = []
        for rawID in list.split(separator: ",") {
            let id = rawID.trimmingCharacters(in: " ")
            guard !id.isEmpty else { continue }
            guard id != TestProvider.id, !providers.contains(where: { $0.id == id }) else {
                throw IdentityConfigurationError("TMI_OIDC_PROVIDERS: '\(id)' is listed twice or is reserved")
            }
            let prefix = "TMI_OIDC_" + id.uppercased().map { $0 == "-" ? "_" : String($0) }.joined() + "_"
            func required(_ name: String) throws(IdentityConfigurationError) -> String {
                guard let value = environment[prefix + name], !value.isEmpty else {
                    throw IdentityConfigurationError("OIDC provider '\(id)' needs \(prefix + name)")
                }
                return value
            }
            var provider = OIDCProviderConfiguration(
                id: id, name: environment[prefix + "NAME"] ?? id, issuer: try required("ISSUER"),
                authorizationEndpoint: environment[prefix + "AUTHORIZATION_ENDPOINT"] ?? "",
                tokenEndpoint: environment[prefix + "TOKEN_ENDPOINT"] ?? "",
                userinfoEndpoint: environment[prefix + "USERINFO_ENDPOINT"],
                clientID: try required("CLIENT_ID"), clientSecret: environment[prefix + "CLIENT_SECRET"] ?? ""
            )
            if let icon = environment[prefix + "ICON"] { provider.icon = icon }
            if let jwks = environment[prefix + "JWKS_URI"], !jwks.isEmpty { provider.jwksURI = jwks }
            if let claim = environment[prefix + "GROUPS_CLAIM"], !claim.isEmpty {
                provider.groupsClaim = claim
            }
            if let scopes = environment[prefix + "SCOPES"] {
                provider.scopes = scopes.split(separator: " ").map(String.init)
                if !provider.scopes.contains("openid") { provider.scopes.insert("openid", at: 0) }
            }
            providers.append(provider)
        }
        return providers
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
