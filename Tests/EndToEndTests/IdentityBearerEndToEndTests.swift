import CollabCore
import RESTGateway
import Testing
import WireProtocol

/// How the real identity service's tokens reach the rest of the server: the `Authorization`
/// header everywhere, `?token=` only on the WebSocket upgrade; and refresh under contention.
@Suite struct IdentityBearerEndToEndTests {
    @Test func aQueryTokenIsAcceptedOnlyOnTheWebSocketUpgrade() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let alice = try await client.loginJSON("alice")
        let tm = try #require(
            try await client.post("/threat_models", json: ["name": "WS"], bearer: alice.access).json["id"]?
                .stringValue)
        let d = try #require(
            try await client.post(
                "/threat_models/\(tm)/diagrams", json: ["name": "DFD", "type": "DFD-1.0.0"],
                bearer: alice.access
            ).json["id"]?.stringValue)

        // REST: the header works (RFC 7235 §2.1: the scheme is case-insensitive), the query does not.
        #expect(try await client.get("/threat_models/\(tm)", bearer: alice.access).status == 200)
        let lowercase = try await Browser.send(
            "GET", server.baseURL + "/threat_models/\(tm)",
            headers: HTTPHeaders([("Authorization", "bearer \(alice.access)")]))
        #expect(lowercase.status == 200)
        #expect(try await client.get("/threat_models/\(tm)?token=\(alice.access)").status == 401)

        // WebSocket: `?token=` is how a browser authenticates the upgrade.
        let ws = try await DiagramClient.connect(
            port: server.port, model: tm, diagram: d, email: "alice@test.tmi", token: alice.access)
        let sync = try await ws.next("diagram_state_sync")
        #expect(sync["update_vector"] == 0)
        ws.close()

        // A revoked token no longer opens it.
        #expect(try await client.post("/oauth2/revoke", json: [:], bearer: alice.access).status == 204)
        await #expect(throws: WebSocketError.self) {
            _ = try await WebSocketClient.handshake(
                host: "127.0.0.1", port: server.port,
                path: "/threat_models/\(tm)/diagrams/\(d)/ws?token=\(alice.access)")
        }
        await server.stop()
    }

    /// Two clients racing with one refresh token: at most one gets new tokens, and whatever was
    /// issued is dead afterwards, since the second presentation is a reuse (RFC 9700 §4.14.2).
    @Test func concurrentRefreshesWithOneTokenLeaveNothingUsable() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let tokens = try await client.loginJSON("alice")
        let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await client.post("/oauth2/refresh", json: ["refresh_token": .string(tokens.refresh)])
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let statuses = replies.map(\.status).sorted()
        #expect(statuses == [200, 401] || statuses == [401, 401])
        for reply in replies where reply.status == 200 {
            let issued = try Tokens(reply.json)
            #expect(try await client.userinfo(issued.access).status == 401)
            #expect(
                try await client.post("/oauth2/refresh", json: ["refresh_token": .string(issued.refresh)])
                    .status == 401)
        }
        #expect(try await client.userinfo(tokens.access).status == 401)
        await server.stop()
    }

    /// RFC 7009 §2.1: the hint only speeds up the lookup; a wrong hint still revokes the token.
    @Test func aWrongTokenTypeHintStillRevokes() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let a = try await client.loginJSON("alice")
        let b = try await client.loginJSON("alice")
        #expect(
            try await client.post(
                "/oauth2/revoke", form: [("token", a.access), ("token_type_hint", "refresh_token")],
                bearer: b.access
            ).status == 204)
        #expect(try await client.userinfo(a.access).status == 401)
        #expect(
            try await client.post(
                "/oauth2/revoke", form: [("token", b.refresh), ("token_type_hint", "access_token")],
                bearer: b.access
            ).status == 204)
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(b.refresh)]).status
                == 401)
        // Alice's first login keeps its refresh token: only its access token was named.
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(a.refresh)]).status
                == 200)
        await server.stop()
    }
}
