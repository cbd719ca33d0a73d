import CollabCore
import RESTGateway
import Testing

/// Logging in through the built-in test provider against the whole server, with a browser that
/// follows every redirect (issue 4, DESIGN §5).
@Suite struct IdentityLoginEndToEndTests {
    @Test func twoTestUsersLogInByFollowingTheRedirects() async throws {
        let server = try await LiveServer.startWithIdentity()
        let app = try await ClientCallback.start()
        let client = IdentityClient(server: server)

        // authorize -> 302 our callback (code, state) -> 302 the client's callback with tokens.
        let (visited, last) = try await Browser.navigate(
            client.authorizeURL(hint: "alice", state: "s-alice", callback: app.url))
        #expect(last.status == 200)
        #expect(visited.count == 3)
        let callback = try #require(TestURL(visited[1]))
        #expect(visited[1].hasPrefix(server.baseURL + "/oauth2/callback?"))
        #expect(callback.query["code"]?.isEmpty == false)
        #expect(callback.query["state"]?.isEmpty == false)
        #expect(callback.query["state"] != "s-alice", "the provider sees our state, not the client's")
        #expect(visited[2].hasPrefix(app.url + "?"))
        #expect(app.targets.count == 1)
        let delivered = try #require(TestURL(visited[2])).query
        #expect(
            Set(delivered.keys) == ["access_token", "refresh_token", "expires_in", "token_type", "state"])
        #expect(delivered["state"] == "s-alice")
        #expect(delivered["token_type"] == "Bearer")
        #expect(delivered["expires_in"] == "3600")
        let alice = try Tokens(delivered)
        let bob = try Tokens(try await client.login("bob", state: "s-bob", callback: app))

        let aliceInfo = try await client.userinfo(alice.access)
        #expect(aliceInfo.status == 200)
        #expect(aliceInfo.json["email"] == "alice@test.tmi")
        #expect(aliceInfo.json["name"] == "Alice (Test User)")
        #expect(aliceInfo.json["providers"]?.arrayValue?.first?["provider"] == "test")
        let bobInfo = try await client.userinfo(bob.access)
        #expect(bobInfo.json["email"] == "bob@test.tmi")
        #expect(bobInfo.json["name"] == "Bob (Test User)")
        let aliceID = try #require(aliceInfo.json["sub"]?.stringValue)
        #expect(aliceID != bobInfo.json["sub"]?.stringValue)
        #expect(aliceInfo.json["id"]?.stringValue == aliceID)

        // The token works on the rest of the API, which sees the same identity.
        let created = try await client.post("/threat_models", json: ["name": "Shop"], bearer: alice.access)
        #expect(created.status == 201)
        #expect(created.json["owner"] == "alice@test.tmi")

        await app.stop()
        await server.stop()
    }

    @Test func withoutClientCallbackTheCallbackAnswersTheTokenJSON() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let (visited, last) = try await Browser.navigate(client.authorizeURL(hint: "alice"))
        #expect(visited.count == 2)
        #expect(last.status == 200)
        #expect(last.headers["Cache-Control"] == "no-store")
        let tokens = try Tokens(last.json)
        #expect(tokens.expiresIn == 3600)
        #expect(try await client.userinfo(tokens.access).json["email"] == "alice@test.tmi")
        await server.stop()
    }

    @Test func aHintIsAStableUserAndAMissingOrInvalidHintIsAFreshOne() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        func sub(_ hint: String?) async throws -> JSONValue {
            let tokens = try await client.loginJSON(hint)
            return try await client.userinfo(tokens.access).json
        }
        let first = try await sub("alice")
        let again = try await sub("alice")
        let capitalised = try await sub("Alice")
        #expect(first["sub"] != nil)
        #expect(again["sub"] == first["sub"])
        #expect(capitalised["sub"] == first["sub"])

        let anonymous = try await sub(nil)
        let anotherAnonymous = try await sub(nil)
        let invalid = try await sub("a!")  // the spec's pattern is ^[a-zA-Z0-9-]{3,20}$
        let ids = [first, anonymous, anotherAnonymous, invalid].map { $0["sub"] }
        #expect(Set(ids.compactMap { $0?.stringValue }).count == 4)
        for user in [anonymous, anotherAnonymous, invalid] {
            #expect(user["email"]?.stringValue?.hasSuffix("@test.tmi") == true)
            #expect(user["email"] != "a!@test.tmi")
        }
        await server.stop()
    }

    @Test func providersListTheTestProviderAndAnUnknownIdpIs400() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let providers = try await client.get("/oauth2/providers")
        #expect(providers.status == 200)
        let test = try #require(providers.json["providers"]?.arrayValue?.first)
        #expect(test["id"] == "test")
        #expect(test["redirect_uri"]?.stringValue == server.baseURL + "/oauth2/callback")

        let unknown = try await Browser.send("GET", client.authorizeURL(idp: "nope", hint: "alice"))
        #expect(unknown.status == 400)
        #expect(unknown.json["error"] == "invalid_provider")
        await server.stop()
    }

    @Test func aSwitchedOffTestProviderAnswersAsAnUnknownOne() async throws {
        let server = try await LiveServer.startWithIdentity(configure: { $0.testProvider = false })
        let client = IdentityClient(server: server)
        let test = try await Browser.send("GET", client.authorizeURL(idp: "test", hint: "alice"))
        let unknown = try await Browser.send("GET", client.authorizeURL(idp: "nope", hint: "alice"))
        #expect(test.status == 400)
        #expect(test.json["error"] == unknown.json["error"])
        // No `idp` at all no longer falls back to the test provider.
        let bare = try await Browser.send(
            "GET", server.baseURL + "/oauth2/authorize?scope=openid&login_hint=alice")
        #expect(bare.status == 400)
        #expect(try await client.get("/oauth2/providers").json["providers"] == [])
        await server.stop()
    }
}
