import CollabCore
import RESTGateway
import Synchronization
import WireProtocol

@testable import Identity

/// A small OpenID Connect provider on loopback port 0: discovery (OIDC Discovery §4), a JWKS,
/// an authorization endpoint that "logs in" whoever the test names and redirects straight back
/// with a code, a token endpoint that checks the code, client credentials, `redirect_uri` and the
/// PKCE verifier (RFC 7636 §4.6) and answers an RS256-signed ID token carrying the login's nonce,
/// and a userinfo endpoint. Knobs let a test make the ID token wrong in one way at a time, rotate
/// the signing key, or take the provider down; every request is recorded.
final class FakeOIDCProvider: Sendable {
    struct Person: Sendable {
        var subject: String
        var email: String
        var name: String
        var emailVerified = true
        var groups: [String]? = nil
    }

    struct Issued: Sendable {
        var person: Person
        var redirectURI: String
        var challenge: String?
        var nonce: String?
        var used = false
    }

    /// One way to spoil the next ID tokens.
    struct Spoil: Sendable {
        var audience: String?
        var issuer: String?
        var nonce: String?
        /// Seconds added to `exp` (negative: already expired).
        var expiresIn: Int64 = 300
        /// Sign with a key that is not published under the header's kid.
        var unpublishedKid: String?
    }

    struct State: Sendable {
        /// Who logs in at the next authorization request.
        var next = Person(subject: "u-1", email: "carol@corp.example", name: "Carol Corp")
        /// Refuse every code at the token endpoint (as if expired).
        var rejectCodes = false
        var spoil = Spoil()
        /// Answer 503 to every back-channel call (the provider is "down" but its port answers).
        var down = false
        var authorizeQueries: [[String: String]] = []
        var tokenRequests: [(contentType: String?, form: [String: String])] = []
        var userinfoAuthorizations: [String] = []
        var jwksFetches = 0
        var codes: [String: Issued] = [:]
        var counter = 0
        /// The published keys, the signing one first.
        var keys: [(kid: String, key: RSAKey)] = []
    }

    let clientID = "tmi-client"
    let clientSecret = "s3cret-value"
    let state = Mutex(State())
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    private let boundPort = Mutex(0)
    /// `http` or `https`, and the host name clients use.
    let scheme: String
    let host: String

    var issuer: String { "\(scheme)://\(host):\(boundPort.withLock { $0 })" }

    init(scheme: String = "http", host: String = "127.0.0.1") {
        self.scheme = scheme
        self.host = host
    }

    static func start(
        configure: (inout HTTPServer.Configuration) -> Void = { _ in }, scheme: String = "http",
        host: String = "127.0.0.1"
    ) async throws -> FakeOIDCProvider {
        let provider = FakeOIDCProvider(scheme: scheme, host: host)
        try provider.rotateKey(kid: "key-1")
        var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration) { [weak provider] request in
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

    /// Publishes a new signing key under `kid` and signs with it from now on; the old keys stay
    /// published unless `dropOld`.
    func rotateKey(kid: String, dropOld: Bool = false) throws {
        let key = try RSAKey.generate()
        state.withLock { s in
            if dropOld { s.keys.removeAll() }
            s.keys.insert((kid, key), at: 0)
        }
    }

    /// How the TMI server is configured for this provider: by discovery, like a real one.
    func configuration(id: String = "corp", clientID: String? = nil) -> OIDCProviderConfiguration {
        OIDCProviderConfiguration(
            id: id, name: "Corp SSO", issuer: issuer, authorizationEndpoint: "", tokenEndpoint: "",
            userinfoEndpoint: nil, clientID: clientID ?? self.clientID, clientSecret: clientSecret,
            scopes: ["openid", "email", "profile"])
    }

    private func respond(_ request: HTTPRequest) -> HTTPResponse {
        let path = request.target.prefix { $0 != "?" }
        // Down for the back channel (discovery, keys, tokens, userinfo); the login page still
        // answers, so the browser gets back to us and the server's own call is what fails.
        if path != "/authorize", state.withLock({ $0.down }) {
            return Self.json(503, ["error": "temporarily_unavailable"])
        }
        let query =
            request.target.firstIndex(of: "?").map {
                QueryString.parse(request.target[request.target.index(after: $0)...])
            } ?? [:]
        switch (request.method, path) {
        case ("GET", "/.well-known/openid-configuration"): return discovery()
        case ("GET", "/jwks"): return jwks()
        case ("GET", "/authorize"): return authorize(query)
        case ("POST", "/token"): return token(request)
        case ("GET", "/userinfo"): return userinfo(request)
        default: return Self.json(404, ["error": "not_found"])
        }
    }

    private func discovery() -> HTTPResponse {
        let i = issuer
        return Self.json(
            200,
            [
                "issuer": .string(i), "authorization_endpoint": .string(i + "/authorize"),
                "token_endpoint": .string(i + "/token"), "userinfo_endpoint": .string(i + "/userinfo"),
                "jwks_uri": .string(i + "/jwks"), "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
            ])
    }

    private func jwks() -> HTTPResponse {
        let keys = state.withLock { s in
            s.jwksFetches += 1
            return s.keys
        }
        let list: [JSONValue] = keys.compactMap { entry in
            (try? JSONWebKey(entry.key))?.json(kid: entry.kid)
        }
        return Self.json(200, ["keys": .array(list)])
    }

    private func authorize(_ query: [String: String]) -> HTTPResponse {
        let code = state.withLock { s -> String in
            s.authorizeQueries.append(query)
            s.counter += 1
            let code = "code-\(s.counter)"
            s.codes[code] = Issued(
                person: s.next, redirectURI: query["redirect_uri"] ?? "", challenge: query["code_challenge"],
                nonce: query["nonce"])
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
        enum Outcome { case refused(HTTPResponse), issue(Issued, Spoil, (kid: String, key: RSAKey)) }
        let outcome = state.withLock { s -> Outcome in
            s.tokenRequests.append((request.headers["Content-Type"], form))
            guard form["client_id"] == clientID, form["client_secret"] == clientSecret else {
                return .refused(Self.json(401, ["error": "invalid_client"]))
            }
            guard form["grant_type"] == "authorization_code", let code = form["code"],
                let issued = s.codes[code],
                !issued.used, !s.rejectCodes, form["redirect_uri"] == issued.redirectURI
            else { return .refused(Self.json(400, ["error": "invalid_grant"])) }
            if let challenge = issued.challenge,
                IndependentJWS.s256Challenge(form["code_verifier"] ?? "") != challenge
            {
                return .refused(Self.json(400, ["error": "invalid_grant"]))
            }
            s.codes[code]?.used = true
            return .issue(issued, s.spoil, s.keys[0])
        }
        switch outcome {
        case .refused(let response): return response
        case .issue(let issued, let spoil, let signer):
            let p = issued.person
            let now = Int64(WallClock.now())
            var claims: [String: JSONValue] = [
                "iss": .string(spoil.issuer ?? issuer), "aud": .string(spoil.audience ?? clientID),
                "sub": .string(p.subject), "email": .string(p.email),
                "email_verified": .bool(p.emailVerified),
                "name": .string(p.name), "iat": .number(Double(now)),
                "exp": .number(Double(now + spoil.expiresIn)),
            ]
            if let nonce = spoil.nonce ?? issued.nonce { claims["nonce"] = .string(nonce) }
            if let groups = p.groups { claims["groups"] = .array(groups.map { JSONValue.string($0) }) }
            var key = signer
            if let kid = spoil.unpublishedKid, let stranger = try? RSAKey.generate() { key = (kid, stranger) }
            let header: JSONValue = ["alg": "RS256", "typ": "JWT", "kid": .string(key.kid)]
            let input = IndependentJWS.encode(header) + "." + IndependentJWS.encode(.object(claims))
            guard let signature = try? key.key.sign(Array(input.utf8)) else {
                return Self.json(500, ["error": "server_error"])
            }
            return Self.json(
                200,
                [
                    "access_token": .string("upstream-\(form["code"] ?? "")"), "token_type": "Bearer",
                    "id_token": .string(input + "." + IndependentJWS.encode(signature)),
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
