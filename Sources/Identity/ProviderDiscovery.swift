import CollabCore
import WireProtocol

/// Completes OIDC providers from their discovery documents (OIDC Discovery §3-4) at start-up:
/// endpoints not configured explicitly are taken from `<issuer>/.well-known/openid-configuration`.
/// A provider that cannot be discovered stops the start with a message naming it and the field,
/// since a server that cannot log anyone in through it should not pretend to.
enum ProviderDiscovery {
    static func resolve(_ providers: [OIDCProviderConfiguration], transport: any OIDCTransport)
        async throws(IdentityConfigurationError) -> [OIDCProviderConfiguration]
    {
        var resolved: [OIDCProviderConfiguration] = []
        for provider in providers {
            resolved.append(try await resolve(provider, transport: transport))
        }
        return resolved
    }

    static func resolve(_ provider: OIDCProviderConfiguration, transport: any OIDCTransport)
        async throws(IdentityConfigurationError) -> OIDCProviderConfiguration
    {
        guard provider.needsDiscovery else { return provider }
        let label = "identity provider '\(provider.id)'"
        var headers = HTTPHeaders()
        headers.set("Accept", "application/json")
        let document: JSONValue
        do {
            document = try await ProviderHTTP.json(transport, "GET", provider.discoveryURL, headers, [])
        } catch {
            throw IdentityConfigurationError(
                "\(label): field 'issuer': discovery at \(provider.discoveryURL) failed: \(error.reason)")
        }
        // OIDC Discovery §4.3: the document's issuer MUST be the one it was fetched for.
        var expected = provider.issuer
        while expected.hasSuffix("/") && document["issuer"]?.stringValue?.hasSuffix("/") != true {
            expected.removeLast()
        }
        let advertised = document["issuer"]?.stringValue ?? ""
        guard
            advertised == expected || isMicrosoftTenantIssuer(advertised, for: provider)
        else {
            throw IdentityConfigurationError(
                "\(label): field 'issuer': discovery names issuer '\(advertised.prefix(200))', not '\(provider.issuer)'"
            )
        }
        var p = provider
        p.issuer = advertised
        func endpoint(_ name: String) throws(IdentityConfigurationError) -> String {
            guard let value = document[name]?.stringValue,
                value.hasPrefix("https://") || value.hasPrefix("http://")
            else {
                throw IdentityConfigurationError(
                    "\(label): field '\(name)': missing from its discovery document")
            }
            return value
        }
        if p.authorizationEndpoint.isEmpty {
            p.authorizationEndpoint = try endpoint("authorization_endpoint")
        }
        if p.tokenEndpoint.isEmpty { p.tokenEndpoint = try endpoint("token_endpoint") }
        if p.jwksURI == nil { p.jwksURI = try endpoint("jwks_uri") }
        if p.userinfoEndpoint == nil, let userinfo = document["userinfo_endpoint"]?.stringValue {
            p.userinfoEndpoint = userinfo
        }
        return p
    }

    /// Entra names a tenant by domain or id in its URLs but always by id in `issuer` (and the
    /// `common`/`organizations` documents advertise the `{tenantid}` template): for a Microsoft
    /// provider, any `https://login.microsoftonline.com/<tenant>/v2.0` issuer is the tenant's own.
    static func isMicrosoftTenantIssuer(_ advertised: String, for provider: OIDCProviderConfiguration) -> Bool
    {
        let prefix = "https://login.microsoftonline.com/"
        guard provider.issuer.hasPrefix(prefix), advertised.hasPrefix(prefix), advertised.hasSuffix("/v2.0")
        else {
            return false
        }
        let tenant = advertised.dropFirst(prefix.count).dropLast("/v2.0".count)
        return !tenant.isEmpty && !tenant.contains("/")
    }
}
