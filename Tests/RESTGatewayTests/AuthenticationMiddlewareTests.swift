import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct AuthenticationMiddlewareTests {
    let auth = AuthenticationMiddleware(authenticator: StubAuthenticator())

    func outcome(_ target: String, _ headers: [(String, String)] = []) async -> Result<HTTPResponse, APIError>
    {
        do {
            return .success(
                try await auth.handle(.make("GET", target, headers: headers), next: echoResponder))
        } catch let error as APIError {
            return .failure(error)
        } catch {
            Issue.record("unexpected error \(error)")
            return .failure(APIError(status: 0, code: "", description: ""))
        }
    }

    @Test(arguments: ["Bearer good-token", "bearer good-token", "BEARER   good-token "])
    func validBearerSetsUserAndToken(_ header: String) async throws {
        let response = try await outcome("/threat_models", [("Authorization", header)]).get()
        #expect(response.json?["user"]?.stringValue == "u-alice")
        #expect(response.json?["token"]?.stringValue == "good-token")
    }

    @Test func missingTokenIsABareChallenge() async {
        guard case .failure(let error) = await outcome("/threat_models") else {
            Issue.record("expected 401")
            return
        }
        #expect(error.status == 401)
        #expect(error.headers["WWW-Authenticate"] == "Bearer realm=\"tmi\"")
    }

    @Test(arguments: [
        "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Bearer bad-token", "good-token",
    ])
    func badCredentialsAre401WithBearerChallenge(_ header: String) async {
        guard case .failure(let error) = await outcome("/threat_models", [("Authorization", header)]) else {
            Issue.record("expected 401")
            return
        }
        #expect(error.status == 401)
        #expect(error.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
    }

    @Test func queryTokenIsAcceptedOnTheWebSocketPath() async throws {
        let response = try await outcome("/threat_models/t/diagrams/d/ws?token=good-token").get()
        #expect(response.json?["user"]?.stringValue == "u-alice")
    }

    @Test func queryTokenIsIgnoredElsewhere() async {
        guard case .failure(let error) = await outcome("/threat_models?token=good-token") else {
            Issue.record("expected 401")
            return
        }
        #expect(error.status == 401)
    }

    @Test func headerWinsOverQueryToken() async {
        let result = await outcome("/x/ws?token=good-token", [("Authorization", "Bearer bad-token")])
        guard case .failure(let error) = result else {
            Issue.record("expected 401")
            return
        }
        #expect(error.status == 401)
    }
}
