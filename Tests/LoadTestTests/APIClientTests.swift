import CollabCore
import Synchronization
import Testing

@testable import LoadTestKit

@Suite struct APIClientTests {
    /// Answers each request from a table keyed by "METHOD path" (query ignored) and records them.
    final class Scripted: LoadTestTransport {
        let answers: [String: HTTPResult]
        let seen = Mutex<[String]>([])
        init(_ answers: [String: HTTPResult]) { self.answers = answers }

        func request(method: String, target: String, headers: [(String, String)], body: [UInt8]) async throws
            -> HTTPResult
        {
            seen.withLock { $0.append("\(method) \(target)") }
            let path = target.split(separator: "?").first.map(String.init) ?? target
            return answers["\(method) \(path)"] ?? HTTPResult(status: 404)
        }

        func openWebSocket(target: String) async throws -> any LoadTestSocket { throw TransportFailure("no") }
    }

    static func tokens(_ token: String) -> HTTPResult {
        HTTPResult(status: 200, body: JSONValue.object(["access_token": .string(token)]).serialized())
    }

    @Test func followsTheRedirectToTheCallback() async throws {
        let t = Scripted([
            "GET /oauth2/authorize": HTTPResult(
                status: 302, headers: [("location", "http://127.0.0.1:8080/oauth2/callback?code=c&state=s")]),
            "GET /oauth2/callback": Self.tokens("opaque"),
        ])
        let login = try await APIClient(transport: t, baseURL: "http://x").login(hint: "bob")
        #expect(login.accessToken == "opaque")
        #expect(login.user == UserRef(userID: "", email: "bob@test.tmi"))  // not a JWT: fall back to the hint
        #expect(
            t.seen.withLock { $0 }.suffix(2) == [
                "GET /oauth2/callback?code=c&state=s", "GET /oauth2/userinfo",
            ])
    }

    @Test func opaqueTokensLearnWhoTheyAreFromUserinfo() async throws {
        let t = Scripted([
            "GET /oauth2/authorize": Self.tokens("opaque"),
            "GET /oauth2/userinfo": HTTPResult(
                status: 200, body: Array(#"{"sub":"u-9","email":"bob@test.tmi"}"#.utf8)),
        ])
        let login = try await APIClient(transport: t, baseURL: "").login(hint: "bob")
        #expect(login.user == UserRef(userID: "u-9", email: "bob@test.tmi"))
        #expect(
            EditorMessage.undo(user: UserRef(userID: "", email: "a@b")).json["initiating_user"] == [
                "email": "a@b"
            ])
    }

    @Test func acceptsTokensWithoutARedirect() async throws {
        // {"sub":"s1","email":"x@y"} base64url, unpadded.
        let jwt = "h.eyJzdWIiOiJzMSIsImVtYWlsIjoieEB5In0.sig"
        let login = try await APIClient(
            transport: Scripted(["GET /oauth2/authorize": Self.tokens(jwt)]), baseURL: ""
        )
        .login(hint: "a")
        #expect(login.user == UserRef(userID: "s1", email: "x@y"))
    }

    @Test func failuresAreOneLineWithTheServersReason() async {
        let t = Scripted([
            "GET /oauth2/authorize": HTTPResult(
                status: 400,
                body: Array(#"{"error":"invalid_request","error_description":"unknown idp"}"#.utf8))
        ])
        do {
            _ = try await APIClient(transport: t, baseURL: "").login(hint: "a")
            Issue.record("expected a failure")
        } catch {
            #expect(error == .login("a: GET /oauth2/authorize answered 400: unknown idp"))
        }
    }

    @Test func originFormOfLocations() {
        #expect(APIClient.originForm("http://h:1/a/b?c=d") == "/a/b?c=d")
        #expect(APIClient.originForm("/cb?x") == "/cb?x")
        #expect(APIClient.originForm("http://h") == "/")
    }
}
