import CollabCore
import Identity
import RESTGateway
import Testing

/// A configured OpenID Connect provider (authorization-code flow, OIDC Core §3.1) against a fake
/// provider on loopback: what the server sends it, and what the client gets back.
@Suite struct OIDCProviderEndToEndTests {
    /// The whole product with `providers` configured next to the test provider.
    static func server(_ providers: [OIDCProviderConfiguration]) async throws -> LiveServer {
        try await LiveServer.startWithIdentity(identity: { environment in
            var configuration = IdentityConfiguration(
                server: environment.configuration, baseURL: environment.baseURL)
            configuration.oidcProviders = providers
            let service = try await IdentityService.open(configuration)
            return (routes: [IdentityRoutes(service: service)], authenticator: service)
        })
    }

    @Test func aLoginGoesThroughTheProviderAndTradesItsCode() async throws {
        let provider = try await FakeOIDCProvider.start()
        let server = try await Self.server([provider.configuration()])
        let app = try await ClientCallback.start()
        let client = IdentityClient(server: server)

        let listed = try #require(try await client.get("/oauth2/providers").json["providers"]?.arrayValue)
        #expect(listed.map { $0["id"] } == ["test", "corp"])
        #expect(listed.last?["client_id"] == "tmi-client")

        // authorize -> the provider's login -> our callback -> the client's callback.
        let (visited, last) = try await Browser.navigate(
            client.authorizeURL(idp: "corp", state: "c1", callback: app.url))
        #expect(last.status == 200)
        #expect(visited.count == 4)
        #expect(visited[1].hasPrefix(provider.issuer + "/authorize?"))
        #expect(visited[2].hasPrefix(server.baseURL + "/oauth2/callback?"))
        let tokens = try Tokens(try #require(visited.last.flatMap(TestURL.init)).query)

        let snapshot = provider.state.withLock { $0 }
        let asked = try #require(snapshot.authorizeQueries.first)
        #expect(asked["response_type"] == "code")
        #expect(asked["client_id"] == "tmi-client")
        #expect(asked["redirect_uri"] == server.baseURL + "/oauth2/callback")
        #expect(asked["scope"] == "openid email profile")
        #expect(asked["state"]?.isEmpty == false)
        #expect(asked["state"] != "c1", "the provider never sees the client's state")
        #expect(asked["code_challenge_method"] == "S256")
        #expect((asked["nonce"]?.count ?? 0) >= 43, "an OIDC login sends a fresh nonce")
        let challenge = try #require(asked["code_challenge"])
        // The token request: a form with the code, our credentials and the verifier of that challenge.
        let exchange = try #require(snapshot.tokenRequests.first)
        #expect(snapshot.tokenRequests.count == 1)
        #expect(exchange.contentType == "application/x-www-form-urlencoded")
        #expect(exchange.form["grant_type"] == "authorization_code")
        #expect(exchange.form["code"] == "code-1")
        #expect(exchange.form["redirect_uri"] == server.baseURL + "/oauth2/callback")
        #expect(exchange.form["client_id"] == "tmi-client")
        #expect(exchange.form["client_secret"] == "s3cret-value")
        #expect(IndependentJWS.s256Challenge(exchange.form["code_verifier"] ?? "") == challenge)
        #expect(snapshot.userinfoAuthorizations == ["Bearer upstream-code-1"])

        let me = try await client.userinfo(tokens.access)
        #expect(me.json["email"] == "carol@corp.example")
        #expect(me.json["name"] == "Carol Corp")
        #expect(me.json["providers"]?.arrayValue?.first?["provider"] == "corp")
        // The same provider subject is the same user, even under a new email.
        provider.state.withLock { $0.next.email = "carol.c@corp.example" }
        let again = try await client.login(nil, callback: app)  // test provider, a different person
        #expect(try await client.userinfo(try Tokens(again).access).json["sub"] != me.json["sub"])
        let (_, second) = try await Browser.navigate(client.authorizeURL(idp: "corp"))
        let secondMe = try await client.userinfo(try Tokens(second.json).access)
        #expect(secondMe.json["sub"] == me.json["sub"])
        #expect(secondMe.json["email"] == "carol.c@corp.example")

        await app.stop()
        await server.stop()
        await provider.stop()
    }

    @Test func theClientsOwnPKCEIsHonouredOnTopOfTheProviderLogin() async throws {
        let provider = try await FakeOIDCProvider.start()
        let server = try await Self.server([provider.configuration()])
        let app = try await ClientCallback.start()
        let client = IdentityClient(server: server)
        let verifier = "client-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
        let pkce = [
            ("code_challenge", IndependentJWS.s256Challenge(verifier)), ("code_challenge_method", "S256"),
        ]
        func code() async throws -> String {
            let (visited, _) = try await Browser.navigate(
                client.authorizeURL(idp: "corp", state: "c2", callback: app.url, extra: pkce))
            let query = try #require(visited.last.flatMap(TestURL.init)).query
            #expect(query["access_token"] == nil)
            #expect(query["state"] == "c2")
            return try #require(query["code"])
        }
        let withoutVerifier = try await client.post(
            "/oauth2/token", json: ["code": .string(try await code()), "redirect_uri": .string(app.url)])
        #expect(withoutVerifier.status == 400)
        let ok = try await client.post(
            "/oauth2/token",
            form: [
                ("grant_type", "authorization_code"), ("code", try await code()), ("redirect_uri", app.url),
                ("code_verifier", verifier),
            ])
        #expect(ok.status == 200)
        #expect(try await client.userinfo(try Tokens(ok.json).access).json["email"] == "carol@corp.example")
        await app.stop()
        await server.stop()
        await provider.stop()
    }

    @Test func idTokenClaimsAreUsedWithoutAUserinfoEndpointAndChecked() async throws {
        let provider = try await FakeOIDCProvider.start()
        // Every endpoint configured explicitly: no discovery, and no userinfo endpoint.
        var explicit = provider.configuration(id: "corp")
        explicit.authorizationEndpoint = provider.issuer + "/authorize"
        explicit.tokenEndpoint = provider.issuer + "/token"
        explicit.jwksURI = provider.issuer + "/jwks"
        let server = try await Self.server([explicit])
        let client = IdentityClient(server: server)
        let (_, ok) = try await Browser.navigate(client.authorizeURL(idp: "corp"))
        #expect(ok.status == 200)
        #expect(try await client.userinfo(try Tokens(ok.json).access).json["email"] == "carol@corp.example")
        #expect(provider.state.withLock { $0.userinfoAuthorizations.isEmpty })

        // OIDC Core §3.1.3.7 (3): an ID token for another client is refused.
        provider.state.withLock { $0.spoil.audience = "someone-else" }
        let (_, wrongAudience) = try await Browser.navigate(client.authorizeURL(idp: "corp"))
        #expect(wrongAudience.status == 401)
        await server.stop()
        await provider.stop()
    }

    @Test func refusalsAndAnUnreachableProvider() async throws {
        let provider = try await FakeOIDCProvider.start()
        var unreachable = provider.configuration(id: "down")
        unreachable.tokenEndpoint = "http://127.0.0.1:1/token"
        let server = try await Self.server([provider.configuration(), unreachable])
        let client = IdentityClient(server: server)

        // The provider refuses the code (RFC 6749 §5.2): 401 at our callback.
        provider.state.withLock { $0.rejectCodes = true }
        let (_, refused) = try await Browser.navigate(client.authorizeURL(idp: "corp"))
        #expect(refused.status == 401)
        provider.state.withLock { $0.rejectCodes = false }

        // The user said no at the provider: it sends `error` instead of a code.
        let jar = CookieJar()
        let started = try await Browser.send("GET", client.authorizeURL(idp: "corp"))
        jar.store(started, from: server.baseURL)
        let startLocation = try #require(started.location)
        let ourState = try #require(TestURL(startLocation)?.query["state"])
        let callback =
            server.baseURL + "/oauth2/callback?error=access_denied&state=\(IdentityClient.escape(ourState))"
        // Without the cookie of the browser that started the login, the callback is refused.
        let elsewhere = try await Browser.send("GET", callback)
        #expect(elsewhere.status == 400)
        #expect(elsewhere.json["error"] == "invalid_state")
        let denied = try await Browser.send("GET", callback, headers: jar.headers(for: server.baseURL))
        #expect(denied.status == 401)

        // A replayed callback is refused.
        let browser = CookieJar()
        let (visited, first) = try await Browser.navigate(client.authorizeURL(idp: "corp"), cookies: browser)
        #expect(first.status == 200)
        #expect(
            try await Browser.send("GET", visited[2], headers: browser.headers(for: visited[2])).status == 401
        )

        // A provider that cannot be reached is neither the client's failure nor ours: 502.
        let (_, down) = try await Browser.navigate(client.authorizeURL(idp: "down"))
        #expect(down.status == 502)
        #expect(down.json["error"] == "idp_unavailable")
        await server.stop()
        await provider.stop()
    }
}
