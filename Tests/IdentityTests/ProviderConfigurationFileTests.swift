import Testing

@testable import Identity

/// `--idp-config`: the JSON model of every provider kind, and start-up errors that name the
/// provider and the field.
@Suite struct ProviderConfigurationFileTests {
    static func parse(_ text: String, environment: [String: String] = [:]) throws
        -> [OIDCProviderConfiguration]
    {
        try OIDCProviderConfiguration.fromFile(Array(text.utf8), environment: environment)
    }

    static func failure(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "(parsed)"
        } catch let error as IdentityConfigurationError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func everyKindWithItsPresets() throws {
        let providers = try Self.parse(
            """
            {"providers": [
              {"id": "google", "type": "google", "client_id": "g-id", "client_secret": "g-secret"},
              {"id": "microsoft", "type": "microsoft", "tenant": "contoso.onmicrosoft.com", "client_id": "m-id",
               "client_secret_env": "MS_SECRET", "groups_claim": "roles"},
              {"id": "github", "type": "github", "client_id": "gh-id", "client_secret": "gh-secret"},
              {"id": "corp", "issuer": "https://sso.corp.example/realms/tmi", "client_id": "tmi", "name": "Corp SSO",
               "scopes": ["email", "groups"]}
            ]}
            """, environment: ["MS_SECRET": "from-env"])
        #expect(providers.map(\.id) == ["google", "microsoft", "github", "corp"])
        let google = providers[0]
        #expect(
            google.kind == .oidc && google.issuer == "https://accounts.google.com" && google.needsDiscovery)
        #expect(google.icon == "fa-brands fa-google" && google.clientSecret == "g-secret")
        let microsoft = providers[1]
        #expect(microsoft.issuer == "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0")
        #expect(microsoft.clientSecret == "from-env" && microsoft.groupsClaim == "roles")
        let github = providers[2]
        #expect(github.kind == .github && !github.needsDiscovery)
        #expect(github.tokenEndpoint == "https://github.com/login/oauth/access_token")
        #expect(
            github.apiBaseURL == "https://api.github.com" && github.scopes == ["read:user", "user:email"])
        let corp = providers[3]
        #expect(corp.kind == .oidc && corp.name == "Corp SSO" && corp.groupsClaim == "groups")
        #expect(corp.scopes == ["openid", "email", "groups"])
        #expect(corp.discoveryURL == "https://sso.corp.example/realms/tmi/.well-known/openid-configuration")
    }

    @Test(arguments: [
        (
            #"{"providers": [{"id": "corp", "issuer": "https://x", "clientid": "a"}]}"#,
            "provider 'corp': field 'clientid'"
        ),
        (
            #"{"providers": [{"id": "corp", "issuer": "https://x"}]}"#,
            "provider 'corp': field 'client_id' is required"
        ),
        (
            #"{"providers": [{"id": "corp", "client_id": "a"}]}"#,
            "provider 'corp': field 'issuer' is required"
        ),
        (#"{"providers": [{"id": "x", "type": "okta", "client_id": "a"}]}"#, "provider 'x': field 'type'"),
        (#"{"providers": [{"type": "google", "client_id": "a"}]}"#, "providers[0]: field 'id' is required"),
        (
            #"{"providers": [{"id": "g", "type": "google", "client_id": "a", "tenant": "t"}]}"#,
            "field 'tenant'"
        ),
        (
            #"{"providers": [{"id": "g", "type": "google", "client_id": "a", "client_secret_env": "NOPE"}]}"#,
            "field 'client_secret_env' names 'NOPE'"
        ),
        (
            #"{"providers": [{"id": "c", "issuer": "ftp://x", "client_id": "a"}]}"#,
            "field 'issuer' must be an http(s) URL"
        ),
        (
            #"{"providers": [{"id": "test", "type": "google", "client_id": "a"}]}"#,
            "provider 'test': field 'id'"
        ),
        (#"{"providers": [], "extra": 1}"#, "unknown field 'extra'"),
        ("not json", "not valid JSON"),
    ])
    func badConfigurationNamesProviderAndField(_ text: String, _ expected: String) {
        let message = Self.failure(text)
        #expect(message.contains(expected), "\(message)")
    }
}
