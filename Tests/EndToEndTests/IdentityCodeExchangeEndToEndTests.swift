import CollabCore
import RESTGateway
import Testing
import WireProtocol

/// Codes traded at `POST /oauth2/token` (DESIGN §10), PKCE S256 (RFC 7636), and the status codes
/// `reference/endpoints.md` lists for the auth endpoints.
@Suite struct IdentityCodeExchangeEndToEndTests {
    /// Stops at our callback URL instead of following it: what a client that exchanges the code
    /// itself receives.
    static func callbackURL(
        _ client: IdentityClient, hint: String = "alice", state: String = "s1", extra: [(String, String)] = []
    )
        async throws -> TestURL
    {
        let reply = try await Browser.send("GET", client.authorizeURL(hint: hint, state: state, extra: extra))
        #expect(reply.status == 302)
        return try #require(reply.location.flatMap(TestURL.init))
    }

    @Test func aCodeIsExchangedOnceAtTheTokenEndpoint() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let redirect = server.baseURL + "/oauth2/callback"

        let first = try await Self.callbackURL(client)
        let code = try #require(first.query["code"])
        let exchanged = try await client.post(
            "/oauth2/token", json: ["code": .string(code), "redirect_uri": .string(redirect), "state": "s1"])
        #expect(exchanged.status == 200)
        #expect(
            try await client.userinfo(try Tokens(exchanged.json).access).json["email"] == "alice@test.tmi")
        // A replayed code fails at the token endpoint (400) and at the callback (401).
        let replay = try await client.post(
            "/oauth2/token", json: ["code": .string(code), "redirect_uri": .string(redirect)])
        #expect(replay.status == 400)
        #expect(replay.json["error"] == "invalid_grant")
        #expect(try await Browser.send("GET", server.baseURL + first.target).status == 401)

        // RFC 6749 §4.1.3 form body.
        let second = try await Self.callbackURL(client, hint: "bob")
        let form = try await client.post(
            "/oauth2/token",
            form: [
                ("grant_type", "authorization_code"), ("code", second.query["code"] ?? ""),
                ("redirect_uri", redirect),
            ])
        #expect(form.status == 200)
        #expect(try await client.userinfo(try Tokens(form.json).access).json["email"] == "bob@test.tmi")
        await server.stop()
    }

    @Test func pkceS256NeedsTheMatchingVerifier() async throws {
        let server = try await LiveServer.startWithIdentity()
        let app = try await ClientCallback.start()
        let client = IdentityClient(server: server)
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-pkce-test"
        let pkce = [
            ("code_challenge", IndependentJWS.s256Challenge(verifier)), ("code_challenge_method", "S256"),
        ]

        /// A PKCE login: the client callback receives a code (no tokens) and the client's state.
        func code() async throws -> String {
            let (visited, _) = try await Browser.navigate(
                client.authorizeURL(hint: "alice", state: "p1", callback: app.url, extra: pkce))
            let query = try #require(visited.last.flatMap(TestURL.init)).query
            #expect(query["access_token"] == nil)
            #expect(query["state"] == "p1")
            return try #require(query["code"])
        }
        func exchange(_ code: String, verifier: String?) async throws -> Reply {
            var body: JSONValue = ["code": .string(code), "redirect_uri": .string(app.url)]
            if let verifier { body["code_verifier"] = .string(verifier) }
            return try await client.post("/oauth2/token", json: body)
        }

        let missing = try await exchange(try await code(), verifier: nil)
        #expect(missing.status == 400)
        #expect(missing.json["error"] == "invalid_grant")
        let wrong = try await exchange(try await code(), verifier: String(verifier.reversed()))
        #expect(wrong.status == 400)
        let good = try await code()
        let ok = try await exchange(good, verifier: verifier)
        #expect(ok.status == 200)
        let tokens = try Tokens(ok.json)
        #expect(try await client.userinfo(tokens.access).json["email"] == "alice@test.tmi")
        // The code is single-use, and its replay revokes what it issued (RFC 6749 §4.1.2).
        #expect(try await exchange(good, verifier: verifier).status == 400)
        #expect(try await client.userinfo(tokens.access).status == 401)

        // Only S256 is offered.
        let plain = try await Browser.send(
            "GET",
            client.authorizeURL(
                hint: "alice", callback: app.url,
                extra: [
                    ("code_challenge", IndependentJWS.s256Challenge(verifier)),
                    ("code_challenge_method", "plain"),
                ]))
        #expect(plain.status == 400)
        await app.stop()
        await server.stop()
    }

    @Test func authEndpointsAnswerTheListedStatusCodes() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let base = server.baseURL
        let tokens = try await client.loginJSON("alice")

        for path in [
            "/", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
            "/.well-known/jwks.json", "/oauth2/providers",
        ] {
            #expect(try await client.get(path).status == 200, "\(path)")
        }
        // authorize → 302, 400
        #expect(try await Browser.send("GET", client.authorizeURL(hint: "alice")).status == 302)
        #expect(
            try await Browser.send("GET", base + "/oauth2/authorize?idp=test&login_hint=alice").status == 400)
        #expect(
            try await Browser.send("GET", client.authorizeURL(hint: "alice", callback: "javascript:alert(1)"))
                .status
                == 400)
        // callback → 200, 302 (above), 400 (no or unknown state), 401 (code refused)
        #expect(try await Browser.send("GET", base + "/oauth2/callback?code=x").status == 400)
        #expect(try await Browser.send("GET", base + "/oauth2/callback?code=x&state=unknown").status == 400)
        let live = try await Self.callbackURL(client)
        let bogus = try await Browser.send(
            "GET", base + "/oauth2/callback?code=bogus&state=\(live.query["state"] ?? "")")
        #expect(bogus.status == 401)
        // token → 200 (above), 400
        #expect(try await client.post("/oauth2/token", json: [:]).status == 400)
        #expect(try await client.post("/oauth2/token", form: [("grant_type", "password")]).status == 400)
        #expect(
            try await client.post(
                "/oauth2/token", json: ["code": "nope", "redirect_uri": .string(base + "/oauth2/callback")]
            )
            .status == 400)
        // refresh → 200 (elsewhere), 400, 401
        #expect(try await client.post("/oauth2/refresh", json: [:]).status == 400)
        #expect(try await client.post("/oauth2/refresh", json: ["refresh_token": "nope"]).status == 401)
        // userinfo → 200, 401
        #expect(try await client.userinfo(tokens.access).status == 200)
        let anonymous = try await client.get("/oauth2/userinfo")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        // introspect → 200, 400
        #expect(try await client.post("/oauth2/introspect", form: [("token", tokens.access)]).status == 200)
        #expect(try await client.post("/oauth2/introspect", form: []).status == 400)
        // revoke → 204, 401
        #expect(try await client.post("/oauth2/revoke", json: ["token": "x"]).status == 401)
        #expect(
            try await client.post("/oauth2/revoke", json: ["token": "x"], bearer: tokens.access).status == 204
        )
        // No 400 is listed for revoke: a body naming no readable token logs the caller out, as `{}` does.
        #expect(try await client.userinfo(tokens.access).status == 200)
        var headers = HTTPHeaders([
            ("Content-Type", "application/json"), ("Authorization", "Bearer \(tokens.access)"),
        ])
        let garbled = try await Browser.send(
            "POST", base + "/oauth2/revoke", headers: headers, body: Array("{nope".utf8))
        #expect(garbled.status == 204)
        #expect(try await client.userinfo(tokens.access).status == 401)
        let other = try await client.loginJSON("alice")
        headers.set("Authorization", "Bearer \(other.access)")
        let numeric = try await Browser.send(
            "POST", base + "/oauth2/revoke", headers: headers, body: Array(#"{"token":5}"#.utf8))
        #expect(numeric.status == 204)
        await server.stop()
    }
}
