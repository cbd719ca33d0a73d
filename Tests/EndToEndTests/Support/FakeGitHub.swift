import CollabCore
import RESTGateway
import Synchronization
import WireProtocol

/// GitHub's OAuth 2 web flow and the two REST calls a login needs, on loopback: `/login/oauth/
/// authorize` redirects back with a code, `/login/oauth/access_token` trades it (refusing a bad
/// one with 200 and an `error` member, as GitHub does), `/api/user` and `/api/user/emails`.
final class FakeGitHub: Sendable {
    struct State: Sendable {
        var codes: [String: Bool] = [:]
        var counter = 0
        var authorizeQueries: [[String: String]] = []
        var apiAuthorizations: [String] = []
        var primaryVerified = true
    }

    let clientID = "gh-client"
    let clientSecret = "gh-secret"
    let state = Mutex(State())
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    private let boundPort = Mutex(0)
    let scheme: String

    init(scheme: String) { self.scheme = scheme }

    var base: String { "\(scheme)://127.0.0.1:\(boundPort.withLock { $0 })" }

    static func start(tls: TLSServerIdentity?) async throws -> FakeGitHub {
        let github = FakeGitHub(scheme: tls == nil ? "http" : "https")
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.tls = tls
        let server = HTTPServer(configuration: configuration) { [weak github] request in
            guard let github else { return HTTPResponse(status: 503) }
            return github.respond(request)
        }
        let port = try await server.start()
        github.server.withLock { $0 = server }
        github.boundPort.withLock { $0 = port }
        return github
    }

    func stop() async {
        if let server = server.withLock({ $0 }) { await server.shutdown() }
    }

    /// The `--idp-config` entry for this fake: the `github` preset with its URLs pointed here.
    var configEntry: JSONValue {
        [
            "id": "github", "type": "github", "client_id": .string(clientID),
            "client_secret": .string(clientSecret),
            "authorization_endpoint": .string(base + "/login/oauth/authorize"),
            "token_endpoint": .string(base + "/login/oauth/access_token"),
            "api_base_url": .string(base + "/api"),
        ]
    }

    private func respond(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.target.prefix { $0 != "?" }
        let query =
            request.target.firstIndex(of: "?").map {
                QueryString.parse(request.target[request.target.index(after: $0)...])
            } ?? [:]
        switch (request.method, path) {
        case ("GET", "/login/oauth/authorize"):
            let code = state.withLock { s -> String in
                s.authorizeQueries.append(query)
                s.counter += 1
                s.codes["gh-code-\(s.counter)"] = false
                return "gh-code-\(s.counter)"
            }
            let target =
                (query["redirect_uri"] ?? "")
                + "?code=\(code)&state=\(IdentityClient.escape(query["state"] ?? ""))"
            return HTTPResponse(status: 302, headers: HTTPHeaders([("Location", target)]))
        case ("POST", "/login/oauth/access_token"):
            let form = QueryString.parse(Substring(String(decoding: request.body, as: UTF8.self)))
            let ok = state.withLock { s -> Bool in
                guard form["client_id"] == clientID, form["client_secret"] == clientSecret,
                    let code = form["code"], s.codes[code] == false
                else { return false }
                s.codes[code] = true
                return true
            }
            guard ok else {
                return FakeOIDCProvider.json(
                    200, ["error": "bad_verification_code", "error_description": "bad code"])
            }
            return FakeOIDCProvider.json(
                200, ["access_token": "gho_test", "token_type": "bearer", "scope": "read:user,user:email"])
        case ("GET", "/api/user"), ("GET", "/api/user/emails"):
            let authorization = request.headers["Authorization"] ?? ""
            let verified = state.withLock { s in
                s.apiAuthorizations.append(authorization)
                return s.primaryVerified
            }
            guard authorization == "Bearer gho_test" else {
                return FakeOIDCProvider.json(401, ["message": "Bad credentials"])
            }
            if path == "/api/user" {
                return FakeOIDCProvider.json(200, ["id": 4242, "login": "octocat", "name": "The Octocat"])
            }
            return FakeOIDCProvider.json(
                200,
                [
                    ["email": "octo@old.example", "primary": false, "verified": true],
                    ["email": "octocat@github.example", "primary": true, "verified": .bool(verified)],
                ])
        default:
            return FakeOIDCProvider.json(404, ["message": "Not Found"])
        }
    }
}
