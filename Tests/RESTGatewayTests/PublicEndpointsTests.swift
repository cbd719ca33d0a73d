import CollabCore
import FoundationEssentials
import Synchronization
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct PublicEndpointsTests {
    static let pinned = Date(timeIntervalSince1970: 1_744_200_000)

    static func gateway(baseURL: String = "http://127.0.0.1:41234") throws -> Gateway {
        let endpoints = PublicEndpoints(
            baseURL: baseURL, operatorName: "Sec Team", operatorContact: "sec@example.com", now: { pinned })
        return try Gateway(
            routes: endpoints.routes, authenticator: StubAuthenticator(),
            middleware: Gateway.standardMiddleware(logger: .discarding))
    }

    @Test func schemaCheckerCatchesViolations() {
        // The checker itself must fail on bad documents, or passing tests below mean nothing.
        let bad: JSONValue = .object([
            "status": .object(["code": "MAYBE", "time": "yesterday"]), "service": .object(["name": "TMI"]),
            "api": .object(["version": "1.0", "specification": "not a uri"]), "operator": "x",
        ])
        let problems = schemaViolations(bad, SpecSchemas.apiInfo)
        #expect(problems.count == 5)
        #expect(isRFC3339("2025-04-09T12:00:00Z"))
        #expect(isRFC3339("2025-04-09T12:00:00.5+02:00"))
        #expect(!isRFC3339("2025-04-09 12:00:00Z"))
    }

    @Test func apiInfoMatchesTheSchema() async throws {
        let response = try await Self.gateway().respond(to: .make("GET", "/"))
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let body = try #require(response.json)
        #expect(schemaViolations(body, SpecSchemas.apiInfo) == [])
        #expect(body["status"]?["code"] == "OK")
        #expect(body["status"]?["time"] == "2025-04-09T12:00:00Z")
        #expect(body["service"]?["name"] == "TMI")
        #expect(body["api"]?["version"] == "1.0")
        #expect(body["operator"] == .object(["name": "Sec Team", "contact": "sec@example.com"]))
    }

    @Test func operatorComesFromConfiguration() throws {
        guard
            case .run(let configuration) = try ServerConfiguration.parse(
                arguments: ["--operator-contact", "flag@x"],
                environment: ["TMI_OPERATOR_NAME": "Env Org", "TMI_OPERATOR_CONTACT": "env@x"])
        else {
            Issue.record("expected run")
            return
        }
        let info = PublicEndpoints(configuration: configuration, baseURL: "http://h:1").apiInfo()
        #expect(info["operator"] == .object(["name": "Env Org", "contact": "flag@x"]))
    }

    @Test func openIDConfigurationMatchesTheSchemaAndBaseURL() async throws {
        let response = try await Self.gateway(baseURL: "https://tmi.example").respond(
            to: .make("GET", "/.well-known/openid-configuration"))
        #expect(response.status == 200)
        let body = try #require(response.json)
        #expect(schemaViolations(body, SpecSchemas.openIDConfiguration) == [])
        #expect(body["issuer"] == "https://tmi.example")
        #expect(body["authorization_endpoint"] == "https://tmi.example/oauth2/authorize")
        #expect(body["token_endpoint"] == "https://tmi.example/oauth2/token")
        #expect(body["userinfo_endpoint"] == "https://tmi.example/oauth2/userinfo")
        #expect(body["jwks_uri"] == "https://tmi.example/.well-known/jwks.json")
        #expect(body["introspection_endpoint"] == "https://tmi.example/oauth2/introspect")
        #expect(body["revocation_endpoint"] == "https://tmi.example/oauth2/revoke")
        #expect(body["response_types_supported"] == ["code"])
        #expect(body["code_challenge_methods_supported"] == ["S256"])
        #expect(body["id_token_signing_alg_values_supported"] == ["RS256"])
    }

    @Test func authorizationServerMetadataMatchesTheSchema() async throws {
        let response = try await Self.gateway().respond(
            to: .make("GET", "/.well-known/oauth-authorization-server"))
        #expect(response.status == 200)
        let body = try #require(response.json)
        #expect(schemaViolations(body, SpecSchemas.authorizationServer) == [])
        #expect(body["issuer"] == "http://127.0.0.1:41234")
        #expect(body["grant_types_supported"] == ["authorization_code", "refresh_token"])
        #expect(body["code_challenge_methods_supported"] == ["S256"])
    }

    @Test func hs256IsAdvertisedWhenConfigured() {
        var configuration = ServerConfiguration()
        configuration.jwtAlgorithm = .hs256
        let endpoints = PublicEndpoints(configuration: configuration, baseURL: "http://h:1")
        let document = DiscoveryDocuments.openIDConfiguration(
            baseURL: "http://h:1", signingAlgorithm: "HS256")
        #expect(endpoints.signingAlgorithm == "HS256")
        #expect(document["id_token_signing_alg_values_supported"] == ["HS256"])
    }

    @Test(arguments: ["/nope", "/.well-known/unknown"])
    func errorsMatchTheErrorSchema(_ path: String) async throws {
        let response = try await Self.gateway().respond(to: .make("GET", path))
        #expect(response.status == 404)
        #expect(schemaViolations(try #require(response.json), SpecSchemas.error) == [])
    }

    @Test func methodNotAllowedOnRoot() async throws {
        let response = try await Self.gateway().respond(to: .make("POST", "/"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
        #expect(schemaViolations(try #require(response.json), SpecSchemas.error) == [])
    }
}

@Suite struct ApiInfoCacheTests {
    @Test func timeFollowsTheClockAcrossSeconds() async throws {
        let clock = Mutex<Double>(1_744_200_000.2)
        let endpoints = PublicEndpoints(
            baseURL: "http://h:1", now: { Date(timeIntervalSince1970: clock.withLock { $0 }) })
        let gateway = try Gateway(
            routes: endpoints.routes, authenticator: StubAuthenticator(), middleware: [])
        func time() async -> JSONValue? {
            await gateway.respond(to: .make("GET", "/")).json?["status"]?["time"]
        }
        #expect(await time() == "2025-04-09T12:00:00Z")
        clock.withLock { $0 = 1_744_200_000.9 }
        #expect(await time() == "2025-04-09T12:00:00Z")
        clock.withLock { $0 = 1_744_200_001.0 }
        #expect(await time() == "2025-04-09T12:00:01Z")
    }
}
