import CollabCore
import Identity
import RESTGateway
import Testing
import WireProtocol

/// A login through an OpenID Connect provider whose `authorize` and callback reach two different
/// nodes over one PostgreSQL (docs/cluster.md, "Logins in progress"): the callback's node finds
/// our state, the upstream PKCE verifier, the nonce and the browser binding in the database.
@Suite struct IdentitySharedOIDCLoginEndToEndTests {
    static func node(_ store: TestStore, _ provider: FakeOIDCProvider, publicURL: String? = nil)
        async throws -> LiveServer
    {
        try await LiveServer.startWithIdentity(
            store: store, configure: { c in if let publicURL { c.publicURL = publicURL } },
            identity: { environment in
                var configuration = IdentityConfiguration(
                    server: environment.configuration, baseURL: environment.baseURL)
                configuration.oidcProviders = [provider.configuration()]
                let service = try await IdentityService.open(configuration)
                return (routes: [IdentityRoutes(service: service)], authenticator: service)
            })
    }

    @Test(.enabled(if: TestDatabase.shouldRun))
    func anOIDCLoginStartedOnOneNodeEndsOnAnother() async throws {
        _ = try TestDatabase.requireURL()
        let provider = try await FakeOIDCProvider.start()
        let store = TestStore.postgresql(schema: TestDatabase.freshSchema())
        let a = try await Self.node(store, provider)
        // B answers under A's public URL, as both would under the load balancer's.
        let b = try await Self.node(store, provider, publicURL: a.baseURL)
        let client = IdentityClient(server: a)

        let started = try await Browser.send("GET", client.authorizeURL(idp: "corp", state: "c1"))
        #expect(started.status == 302)
        let cookie = try #require(started.headers["Set-Cookie"]?.split(separator: ";").first.map(String.init))
        #expect(cookie.hasPrefix("tmi_login="))
        let atProvider = try await Browser.send("GET", try #require(started.location))
        let back = try #require(atProvider.location.flatMap(TestURL.init))
        #expect(back.target.hasPrefix("/oauth2/callback?"))

        // Without the browser's cookie B refuses (login CSRF), as one node would; with it, the
        // login ends on B and its token works on A.
        let noCookie = try await Browser.send("GET", b.baseURL + back.target)
        #expect(noCookie.status == 400)
        let finished = try await Browser.send(
            "GET", b.baseURL + back.target, headers: HTTPHeaders([("Cookie", cookie)]))
        #expect(finished.status == 200, "\(finished.json)")
        let tokens = try Tokens(finished.json)
        #expect(try await client.userinfo(tokens.access).json["email"] == "carol@corp.example")
        // The provider was asked once, with the verifier of the challenge A sent it.
        let snapshot = provider.state.withLock { $0 }
        #expect(snapshot.tokenRequests.count == 1)
        let challenge = try #require(snapshot.authorizeQueries.first?["code_challenge"])
        #expect(
            IndependentJWS.s256Challenge(snapshot.tokenRequests.first?.form["code_verifier"] ?? "")
                == challenge)
        // The state is used: the same callback on A is a replay.
        let replay = try await Browser.send(
            "GET", a.baseURL + back.target, headers: HTTPHeaders([("Cookie", cookie)]))
        #expect(replay.status == 401)

        await a.stop()
        await b.stop()
        await store.destroy()
        await provider.stop()
    }
}
