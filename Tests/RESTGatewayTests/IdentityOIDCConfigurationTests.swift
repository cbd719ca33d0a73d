import Testing

@testable import Identity
@testable import RESTGateway

@Suite struct IdentityOIDCConfigurationTests {
    static let corp: [String: String] = [
        "TMI_OIDC_PROVIDERS": "corp-sso, dex",
        "TMI_OIDC_CORP_SSO_ISSUER": "http://sso.corp",
        "TMI_OIDC_CORP_SSO_AUTHORIZATION_ENDPOINT": "http://sso.corp/auth",
        "TMI_OIDC_CORP_SSO_TOKEN_ENDPOINT": "http://sso.corp/token",
        "TMI_OIDC_CORP_SSO_USERINFO_ENDPOINT": "http://sso.corp/userinfo",
        "TMI_OIDC_CORP_SSO_JWKS_URI": "http://sso.corp/jwks",
        "TMI_OIDC_CORP_SSO_GROUPS_CLAIM": "roles",
        "TMI_OIDC_CORP_SSO_CLIENT_ID": "tmi",
        "TMI_OIDC_CORP_SSO_CLIENT_SECRET": "s3cret",
        "TMI_OIDC_CORP_SSO_NAME": "Corp SSO",
        "TMI_OIDC_CORP_SSO_SCOPES": "email profile",
        "TMI_OIDC_DEX_ISSUER": "http://dex",
        "TMI_OIDC_DEX_AUTHORIZATION_ENDPOINT": "http://dex/auth",
        "TMI_OIDC_DEX_TOKEN_ENDPOINT": "http://dex/token",
        "TMI_OIDC_DEX_CLIENT_ID": "tmi-dex",
        "TMI_OIDC_DEX_JWKS_URI": "http://dex/jwks",
    ]

    @Test func providersAreReadFromTheEnvironment() throws {
        let providers = try OIDCProviderConfiguration.fromEnvironment(Self.corp)
        #expect(providers.map(\.id) == ["corp-sso", "dex"])
        let corp = providers[0]
        #expect(
            corp.name == "Corp SSO" && corp.clientSecret == "s3cret"
                && corp.tokenEndpoint == "http://sso.corp/token")
        #expect(corp.scopes == ["openid", "email", "profile"])
        #expect(corp.jwksURI == "http://sso.corp/jwks" && corp.groupsClaim == "roles" && !corp.needsDiscovery)
        #expect(
            providers[1].userinfoEndpoint == nil && providers[1].scopes == ["openid", "email", "profile"])
        #expect(try OIDCProviderConfiguration.fromEnvironment([:]).isEmpty)
    }

    @Test func aMissingRequiredFieldOrAReservedIDFailsStartUp() {
        var missing = Self.corp
        missing["TMI_OIDC_DEX_CLIENT_ID"] = nil
        #expect(throws: IdentityConfigurationError.self) {
            try OIDCProviderConfiguration.fromEnvironment(missing)
        }
        #expect(throws: IdentityConfigurationError.self) {
            try OIDCProviderConfiguration.fromEnvironment(["TMI_OIDC_PROVIDERS": "test"])
        }
    }

    @Test func configuredProvidersAreListedAfterTest() async throws {
        var configuration = IdentityConfiguration.make()
        configuration.oidcProviders = try OIDCProviderConfiguration.fromEnvironment(Self.corp)
        let harness = try await IdentityHarness.make(configuration)
        let list = try #require(await harness.send("GET", "/oauth2/providers").json?["providers"]?.arrayValue)
        #expect(list.compactMap { $0["id"]?.stringValue } == ["test", "corp-sso", "dex"])
        #expect(
            list[1]["client_id"] == "tmi"
                && list[1]["auth_url"] == "http://127.0.0.1:8080/oauth2/authorize?idp=corp-sso")
        // The authorize redirect goes to the provider with our own PKCE challenge and state.
        let response = await harness.send("GET", "/oauth2/authorize?idp=corp-sso&scope=openid&state=x")
        #expect(response.status == 302)
        let location = response.headers["Location"] ?? ""
        #expect(location.hasPrefix("http://sso.corp/auth?response_type=code&client_id=tmi"))
        #expect(location.contains("code_challenge_method=S256") && !location.contains("state=x"))
    }
}
