import CollabCore
import Identity
import RESTGateway
import Synchronization
import WireProtocol

/// A tiny OpenID Connect provider on loopback port 0: an authorization endpoint that "logs in"
/// whoever the test names and redirects straight back with a code, a token endpoint that checks
/// the code, client credentials, `redirect_uri` and the PKCE verifier (RFC 7636 §4.6), and a
/// userinfo endpoint. It records every request so a test can check what the server sent.
final class FakeOIDCProvider: Sendable {
    struct Person: Sendable {
        var subject: String
        var email: String
        var name: String
        var emailVerified = true
    }

    struct Issued: Sendable {
        var person: Person
        var redirectURI: String
        var challenge: String?
        var used = false
    }

    struct State: Sendable {
        /// Who logs in at the next authorization request.
        var next = Person(subject: "u-1", email: "carol@corp.example", name: "Carol Corp")
        /// Refuse every code at the token endpoint (as if expired).
        var rejectCodes = false
        /// Put this `aud` in ID tokens instead of the client id.
        var idTokenAudience: String?
        var authorizeQueries: [[String: String]] = []
        var tokenRequests: [(contentType: String?, form: [String: String])] = []
        var userinfoAuthorizations: [String] = []
        var codes: [String: Issued] = [:]
        var counter = 0
    }

    let clientID = "tmi-client"
    let clientSecret = "s3cret-value"
    let state = Mutex(State())
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    private let boundPort = Mutex(0)

    var issuer: String { "http://127.0.0.1:\(boundPort.withLock { $0 })" }

    static func start() async throws -> FakeOIDCProvider {
        let provider = FakeOIDCProvider()
        let server = HTTPServer(configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0)) {
            [weak provider] request in
            guard let provider else { return HTTPResponse(status: 503) }
            return provider.respond(request)
        }
        let port = try await server.start()
        provider.server.withLock { $0 = server }
        provider.boundPort.withLock { $0 = port }
        return provider
    }

    func stop() async {
        if let server = server.withLock({ $0 }) { await server.shutdown() }
    }

    /// How the TMI server is configured for this provider.
    func configuration(id: String = "corp", userinfo: Bool = true, clientID: String? = nil)
        -> OIDCProviderConfiguration
    {
        OIDCProviderConfiguration(
            id: id, name: "Corp SSO", issuer: issuer, authorizationEndpoint: issuer + "/authorize",
            tokenEndpoint: issuer + "/token", userinfoEndpoint: userinfo ? issuer + "/userinfo" : nil,
            clientID: clientID ?? self.clientID, clientSecret: clientSecret,
            scopes: ["openid", "email", "profile"])
    }

    private func respond(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.target.prefix { $0 != "?" }
        let query =
            request.target.firstIndex(of: "?").map {
                QueryString.parse(request.target[request.target.index(after: $0)...])
            } ?? [:]
        switch (request.method, path) {
        case ("GET", "/authorize"): return authorize(query)
        case ("POST", "/token"): return token(request)
        case ("GET", "/userinfo"): return userinfo(request)
        default: return Self.json(404, ["error": "not_found"])
        }
    }

    private func authorize(_ query: [String: String]) -> HTTPResponse {
        let code = state.withLock { s -> String in
            s.authorizeQueries.append(query)
            s.counter += 1
            let code = "code-\(s.counter)"
            s.codes[code] = Issued(
                person: s.next, redirectURI: query["redirect_uri"] ?? "", challenge: query["code_challenge"])
            return code
        }
        let target =
            (query["redirect_uri"] ?? "")
            + "?code=\(code)&state=\(IdentityClient.escape(query["state"] ?? ""))"
        return HTTPResponse(status: 302, headers: HTTPHeaders([("Location", target)]))
    }

    private func token(_ request: HTTPRequest) -> HTTPResponse {
        let form = QueryString.parse(Substring(String(decoding: request.body, as: UTF8.self)))
        let issuer = self.issuer
        return state.withLock { s in
            s.tokenRequests.append((request.headers["Content-Type"], form))
            guard form["client_id"] == clientID, form["client_secret"] == clientSecret else {
                return Self.json(401, ["error": "invalid_client"])
            }
            guard form["grant_type"] == "authorization_code", let code = form["code"],
                let issued = s.codes[code],
                !issued.used, !s.rejectCodes, form["redirect_uri"] == issued.redirectURI
            else { return Self.json(400, ["error": "invalid_grant"]) }
            if let challenge = issued.challenge,
                IndependentJWS.s256Challenge(form["code_verifier"] ?? "") != challenge
            {
                return Self.json(400, ["error": "invalid_grant"])
            }
            s.codes[code]?.used = true
            let p = issued.person
            let claims: JSONValue = [
                "iss": .string(issuer), "aud": .string(s.idTokenAudience ?? clientID),
                "sub": .string(p.subject),
                "email": .string(p.email), "email_verified": .bool(p.emailVerified), "name": .string(p.name),
            ]
            // The server reads the ID token from the direct channel (OIDC Core §3.1.3.7 (6)).
            let idToken = IndependentJWS.encode(["alg": "none"]) + "." + IndependentJWS.encode(claims) + "."
            return Self.json(
                200,
                [
                    "access_token": .string("upstream-\(code)"), "token_type": "Bearer",
                    "id_token": .string(idToken),
                ])
        }
    }

    private func userinfo(_ request: HTTPRequest) -> HTTPResponse {
        let authorization = request.headers["Authorization"] ?? ""
        return state.withLock { s in
            s.userinfoAuthorizations.append(authorization)
            let code =
                authorization.hasPrefix("Bearer upstream-")
                ? String(authorization.dropFirst("Bearer upstream-".count)) : ""
            guard let p = s.codes[code]?.person else { return Self.json(401, ["error": "invalid_token"]) }
            return Self.json(
                200,
                [
                    "sub": .string(p.subject), "email": .string(p.email),
                    "email_verified": .bool(p.emailVerified),
                    "name": .string(p.name),
                ])
        }
    }

    static func json(_ status: Int, _ body: JSONValue) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: HTTPHeaders([("Content-Type", "application/json")]),
            body: body.serialized())
    }
}
