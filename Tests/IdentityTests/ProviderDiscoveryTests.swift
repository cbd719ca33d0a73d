import CollabCore
import Testing
import WireProtocol

@testable import Identity

/// Discovery completes a provider from its document, and refuses a document for another issuer.
@Suite struct ProviderDiscoveryTests {
    /// Answers every request with one JSON document (a provider's discovery document).
    struct CannedTransport: OIDCTransport {
        var document: JSONValue
        func send(method: String, url: String, headers: HTTPHeaders, body: [UInt8]) async throws
            -> HTTPClientResponse
        {
            HTTPClientResponse(status: 200, body: document.serialized())
        }
    }

    static func document(issuer: String) -> JSONValue {
        [
            "issuer": .string(issuer), "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token", "jwks_uri": "https://idp.example/keys",
            "userinfo_endpoint": "https://idp.example/userinfo",
        ]
    }

    @Test func endpointsComeFromTheDocumentUnlessConfigured() async throws {
        var corp = OIDCProviderConfiguration(
            id: "corp", name: "Corp", issuer: "https://idp.example", authorizationEndpoint: "",
            tokenEndpoint: "https://override.example/token", userinfoEndpoint: nil, clientID: "c",
            clientSecret: "")
        corp = try await ProviderDiscovery.resolve(
            corp, transport: CannedTransport(document: Self.document(issuer: "https://idp.example")))
        #expect(corp.authorizationEndpoint == "https://idp.example/authorize")
        #expect(corp.tokenEndpoint == "https://override.example/token")
        #expect(
            corp.jwksURI == "https://idp.example/keys"
                && corp.userinfoEndpoint == "https://idp.example/userinfo")
        #expect(!corp.needsDiscovery)
    }

    @Test func aDocumentForAnotherIssuerStopsTheStart() async {
        let corp = OIDCProviderConfiguration(
            id: "corp", name: "Corp", issuer: "https://idp.example", authorizationEndpoint: "",
            tokenEndpoint: "",
            userinfoEndpoint: nil, clientID: "c", clientSecret: "")
        await #expect(throws: IdentityConfigurationError.self) {
            _ = try await ProviderDiscovery.resolve(
                corp, transport: CannedTransport(document: Self.document(issuer: "https://evil.example")))
        }
    }

    @Test func microsoftTenantsByDomainOrCommonResolveToTheirIssuer() async throws {
        let byDomain = OIDCProviderConfiguration.microsoft(
            tenant: "contoso.onmicrosoft.com", clientID: "c", clientSecret: "s")
        let tenantIssuer = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
        let resolved = try await ProviderDiscovery.resolve(
            byDomain, transport: CannedTransport(document: Self.document(issuer: tenantIssuer)))
        #expect(resolved.issuer == tenantIssuer)
        let common = OIDCProviderConfiguration.microsoft(tenant: "common", clientID: "c", clientSecret: "s")
        let template = "https://login.microsoftonline.com/{tenantid}/v2.0"
        #expect(
            try await ProviderDiscovery.resolve(
                common, transport: CannedTransport(document: Self.document(issuer: template))
            )
            .issuer == template)
        // Not Microsoft's host: refused even for a Microsoft provider.
        await #expect(throws: IdentityConfigurationError.self) {
            _ = try await ProviderDiscovery.resolve(
                common,
                transport: CannedTransport(document: Self.document(issuer: "https://evil.example/t/v2.0")))
        }
    }
}
