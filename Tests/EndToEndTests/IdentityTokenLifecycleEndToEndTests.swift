import CollabCore
import RESTGateway
import Testing

/// Refresh rotation and reuse detection, revocation and introspection against the whole server.
@Suite struct IdentityTokenLifecycleEndToEndTests {
    @Test func refreshRotatesAndASpentTokenRevokesTheWholeFamily() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let first = try await client.loginJSON("alice")

        let refreshed = try await client.post(
            "/oauth2/refresh", json: ["refresh_token": .string(first.refresh)])
        #expect(refreshed.status == 200)
        #expect(refreshed.headers["Cache-Control"] == "no-store")
        let second = try Tokens(refreshed.json)
        #expect(second.refresh != first.refresh)
        #expect(second.access != first.access)
        #expect(try await client.userinfo(second.access).json["email"] == "alice@test.tmi")
        // Rotation again, through the RFC 6749 §6 form at the token endpoint.
        let viaToken = try await client.post(
            "/oauth2/token", form: [("grant_type", "refresh_token"), ("refresh_token", second.refresh)])
        #expect(viaToken.status == 200)
        let third = try Tokens(viaToken.json)

        // The spent token is refused, and its reuse ends every token of the login.
        let reused = try await client.post("/oauth2/refresh", json: ["refresh_token": .string(first.refresh)])
        #expect(reused.status == 401)
        for access in [first.access, second.access, third.access] {
            let refused = try await client.userinfo(access)
            #expect(refused.status == 401)
            #expect(refused.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        }
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(third.refresh)]).status
                == 401)
        // At the token endpoint a refused refresh is a 400 invalid_grant (it lists no 401).
        let atToken = try await client.post(
            "/oauth2/token", json: ["grant_type": "refresh_token", "refresh_token": .string(third.refresh)])
        #expect(atToken.status == 400)
        #expect(atToken.json["error"] == "invalid_grant")

        // Another login of the same user is a separate family and unaffected.
        let other = try await client.loginJSON("alice")
        #expect(try await client.userinfo(other.access).status == 200)
        await server.stop()
    }

    @Test func revokeEndsAnAccessTokenOrARefreshTokenOfTheCaller() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let alice = try await client.loginJSON("alice")
        let bob = try await client.loginJSON("bob")

        // Bob cannot log Alice out: success is answered (RFC 7009 §2.2) but nothing changes.
        #expect(
            try await client.post(
                "/oauth2/revoke", json: ["token": .string(alice.access)], bearer: bob.access
            ).status == 204)
        #expect(try await client.get("/threat_models", bearer: alice.access).status == 200)

        // RFC 7009 form body with the token itself.
        let revoked = try await client.post(
            "/oauth2/revoke", form: [("token", alice.access), ("token_type_hint", "access_token")],
            bearer: alice.access)
        #expect(revoked.status == 204)
        #expect(revoked.body.isEmpty)
        let refused = try await client.get("/threat_models", bearer: alice.access)
        #expect(refused.status == 401)
        #expect(refused.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        #expect(refused.json["error"] != nil)
        // Her refresh token still works: only that access token ended.
        let renewed = try Tokens(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)]).json)
        #expect(try await client.userinfo(renewed.access).status == 200)

        // `{refresh_token}` ends the refresh token and the access tokens of its login.
        #expect(
            try await client.post(
                "/oauth2/revoke", json: ["refresh_token": .string(bob.refresh)], bearer: bob.access
            )
            .status == 204)
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(bob.refresh)]).status
                == 401)
        #expect(try await client.userinfo(bob.access).status == 401)

        // Without a bearer token revoke is 401; a body naming no token logs out the caller's own.
        #expect(
            try await client.post("/oauth2/revoke", json: ["token": .string(renewed.access)]).status == 401)
        #expect(try await client.post("/oauth2/revoke", json: [:], bearer: renewed.access).status == 204)
        #expect(try await client.userinfo(renewed.access).status == 401)
        await server.stop()
    }

    @Test func introspectionReportsActiveAndInactiveTokensFromFormOrJSON() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let alice = try await client.loginJSON("alice")
        let sub = try #require(try await client.userinfo(alice.access).json["sub"])

        // Reachable without a bearer token (RFC 7662 §2.1 leaves client auth to the server).
        let form = try await client.post("/oauth2/introspect", form: [("token", alice.access)])
        #expect(form.status == 200)
        #expect(form.json["active"] == true)
        #expect(form.json["sub"] == sub)
        #expect(form.json["email"] == "alice@test.tmi")
        #expect(form.json["iss"]?.stringValue == server.baseURL)
        #expect(form.json["exp"]?.doubleValue != nil)
        let json = try await client.post("/oauth2/introspect", json: ["token": .string(alice.access)])
        #expect(json.json == form.json)
        let refresh = try await client.post(
            "/oauth2/introspect", json: ["token": .string(alice.refresh), "token_type_hint": "refresh_token"])
        #expect(refresh.json["active"] == true)
        #expect(refresh.json["sub"] == sub)

        // Inactive: garbage, a revoked access token, a spent refresh token. Only `active` is said.
        let garbage = try await client.post("/oauth2/introspect", form: [("token", "not-a-token")])
        #expect(garbage.status == 200)
        #expect(garbage.json == ["active": false])
        _ = try await client.post("/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)])
        #expect(
            try await client.post("/oauth2/introspect", form: [("token", alice.refresh)]).json == [
                "active": false
            ])
        _ = try await client.post(
            "/oauth2/revoke", json: ["token": .string(alice.access)], bearer: alice.access)
        #expect(
            try await client.post("/oauth2/introspect", form: [("token", alice.access)]).json == [
                "active": false
            ])

        // RFC 7662 §2.1: `token` is REQUIRED.
        for reply in [
            try await client.post("/oauth2/introspect", form: []),
            try await client.post("/oauth2/introspect", json: ["token_type_hint": "access_token"]),
            try await client.post("/oauth2/introspect", json: ["token": ""]),
        ] {
            #expect(reply.status == 400)
        }
        await server.stop()
    }
}
