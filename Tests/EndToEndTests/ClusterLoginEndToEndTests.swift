import CollabCore
import Foundation
import TestSupport
import Testing
import WireProtocol

/// Logins behind a load balancer without stickiness (docs/cluster.md, "Logins in progress"):
/// three real `tmi-server` processes over one PostgreSQL, and each step of a login reaching a
/// different node. Whatever a node knows of a login started elsewhere it can only have from
/// the database (each node has its own data directory).
@Suite(.serialized) struct ClusterLoginEndToEndTests {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-cluster-login"
    static let appCallback = "http://127.0.0.1:9/app/cb"

    /// `path` (with query) on node `i`, no token.
    static func get(_ harness: ClusterHarness, _ i: Int, _ target: String) async throws -> Reply {
        try await Browser.send("GET", harness.node(i).baseURL + target)
    }

    static func authorize(
        _ harness: ClusterHarness, on i: Int, hint: String, state: String, extra: [(String, String)] = []
    ) async throws -> Reply {
        let client = IdentityClient(base: harness.node(i).baseURL)
        return try await Browser.send("GET", client.authorizeURL(hint: hint, state: state, extra: extra))
    }

    /// The target (path and query) of a redirect to the shared public URL, to send to any node.
    static func publicTarget(_ reply: Reply, _ harness: ClusterHarness) throws -> String {
        let location = try #require(reply.location, "a redirect: \(reply.status) \(reply.json)")
        #expect(location.hasPrefix(harness.issuer + "/oauth2/callback?"))
        return String(location.dropFirst(harness.issuer.count))
    }

    /// The query parameters of a target.
    static func query(_ target: String) -> [String: String] {
        TestURL("http://127.0.0.1:1" + target)?.query ?? [:]
    }

    static func exchange(_ harness: ClusterHarness, on i: Int, _ fields: JSONValue) async throws -> Reply {
        try await IdentityClient(base: harness.node(i).baseURL).post("/oauth2/token", json: fields)
    }

    /// The access token is honoured by every node: the same user everywhere.
    static func expectWorksEverywhere(_ harness: ClusterHarness, _ tokens: Tokens, email: String) async throws
    {
        var subjects: Set<String> = []
        for i in 0..<3 {
            let info = try await IdentityClient(base: harness.node(i).baseURL).userinfo(tokens.access)
            #expect(info.status == 200, "node \(i): \(info.json)")
            #expect(info.json["email"]?.stringValue == email)
            if let sub = info.json["sub"]?.stringValue { subjects.insert(sub) }
        }
        #expect(subjects.count == 1)
    }

    static func withHarness(_ body: (ClusterHarness) async throws -> Void) async throws {
        try await ClusterHarness.start(nodes: 3).running(body)
    }

    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aTestProviderLoginCompletesOnOtherNodes() async throws {
        try await Self.withHarness { harness in
            // authorize on n0, the provider's callback on n1: the tokens come back as JSON.
            let started = try await Self.authorize(harness, on: 0, hint: "alice", state: "s-a")
            #expect(started.status == 302)
            let callback = try Self.publicTarget(started, harness)
            let finished = try await Self.get(harness, 1, callback)
            #expect(finished.status == 200, "\(finished.json)")
            let tokens = try Tokens(finished.json)
            try await Self.expectWorksEverywhere(harness, tokens, email: "alice@test.tmi")
            // The same callback again, on n2: the login was used (401, as on one node).
            let replay = try await Self.get(harness, 2, callback)
            #expect(replay.status == 401)
            #expect(replay.json["error"] != nil && replay.json["error_description"] != nil)

            // authorize on n1, the test code traded at the token endpoint of n2; its refresh
            // token rotates on n0.
            let second = try await Self.authorize(harness, on: 1, hint: "bob", state: "s-b")
            let code = try #require(Self.query(try Self.publicTarget(second, harness))["code"])
            let exchanged = try await Self.exchange(
                harness, on: 2,
                [
                    "code": .string(code), "redirect_uri": .string(harness.issuer + "/oauth2/callback"),
                    "state": "s-b",
                ])
            #expect(exchanged.status == 200, "\(exchanged.json)")
            let bob = try Tokens(exchanged.json)
            try await Self.expectWorksEverywhere(harness, bob, email: "bob@test.tmi")
            let refreshed = try await IdentityClient(base: harness.node(0).baseURL).post(
                "/oauth2/refresh", json: ["refresh_token": .string(bob.refresh)])
            #expect(refreshed.status == 200)
        }
    }

    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aPKCELoginHopsAcrossThreeNodes() async throws {
        try await Self.withHarness { harness in
            let pkce = [
                ("code_challenge", IndependentJWS.s256Challenge(Self.verifier)),
                ("code_challenge_method", "S256"),
                ("client_callback", Self.appCallback),
            ]
            // authorize on n0, callback on n1 (it issues our code), the exchange on n2.
            let started = try await Self.authorize(
                harness, on: 0, hint: "carol", state: "app-state", extra: pkce)
            let callback = try await Self.get(harness, 1, try Self.publicTarget(started, harness))
            #expect(callback.status == 302)
            let delivered = try #require(callback.location.flatMap(TestURL.init))
            #expect(delivered.target.hasPrefix("/app/cb?"))
            #expect(delivered.query["state"] == "app-state")
            let code = try #require(delivered.query["code"])
            let exchanged = try await Self.exchange(
                harness, on: 2,
                [
                    "code": .string(code), "redirect_uri": .string(Self.appCallback),
                    "code_verifier": .string(Self.verifier),
                ])
            #expect(exchanged.status == 200, "\(exchanged.json)")
            let tokens = try Tokens(exchanged.json)
            try await Self.expectWorksEverywhere(harness, tokens, email: "carol@test.tmi")

            // The code again, on n0: refused with the OAuth error, and (RFC 6749 §4.1.2) the
            // tokens issued for it are revoked everywhere.
            let replay = try await Self.exchange(
                harness, on: 0,
                [
                    "code": .string(code), "redirect_uri": .string(Self.appCallback),
                    "code_verifier": .string(Self.verifier),
                ])
            #expect(replay.status == 400)
            #expect(replay.json["error"] == "invalid_grant")
            #expect(
                try await IdentityClient(base: harness.node(0).baseURL).post(
                    "/oauth2/refresh", json: ["refresh_token": .string(tokens.refresh)]
                ).status == 401)
        }
    }

    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func oneCodeExchangedOnTwoNodesAtOnceSucceedsOnce() async throws {
        try await Self.withHarness { harness in
            // Our PKCE code, presented to n1 and n2 at the same time.
            let pkce = [
                ("code_challenge", IndependentJWS.s256Challenge(Self.verifier)),
                ("code_challenge_method", "S256"),
                ("client_callback", Self.appCallback),
            ]
            let started = try await Self.authorize(harness, on: 0, hint: "dave", state: "d", extra: pkce)
            let callback = try await Self.get(harness, 0, try Self.publicTarget(started, harness))
            let code = try #require(callback.location.flatMap(TestURL.init)?.query["code"])
            let fields: JSONValue = [
                "code": .string(code), "redirect_uri": .string(Self.appCallback),
                "code_verifier": .string(Self.verifier),
            ]
            async let onB = Self.exchange(harness, on: 1, fields)
            async let onC = Self.exchange(harness, on: 2, fields)
            let replies = try await [onB, onC]
            #expect(replies.filter { $0.status == 200 }.count == 1, "\(replies.map(\.json))")
            let loser = try #require(replies.first { $0.status != 200 })
            #expect(loser.status == 400)
            #expect(loser.json["error"] == "invalid_grant")
            #expect(loser.json["error_description"]?.stringValue?.isEmpty == false)

            // A test-provider code, presented to all three nodes at once.
            let second = try await Self.authorize(harness, on: 0, hint: "erin", state: "e")
            let testCode = try #require(Self.query(try Self.publicTarget(second, harness))["code"])
            let redirect = JSONValue.string(harness.issuer + "/oauth2/callback")
            let statuses = try await withThrowingTaskGroup(of: Reply.self) { group in
                for i in 0..<3 {
                    group.addTask {
                        try await Self.exchange(
                            harness, on: i, ["code": .string(testCode), "redirect_uri": redirect])
                    }
                }
                return try await group.reduce(into: [Reply]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.status == 200 }.count == 1, "\(statuses.map(\.json))")
            for r in statuses where r.status != 200 {
                #expect(r.status == 400)
                #expect(r.json["error"] == "invalid_grant")
            }
        }
    }

    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func anUnknownOrExpiredStateIsAClear400AndAFloodIsRefused() async throws {
        try await Self.withHarness { harness in
            // Unknown on every node.
            for i in 0..<3 {
                let reply = try await Self.get(harness, i, "/oauth2/callback?code=abc&state=never-issued")
                #expect(reply.status == 400)
                #expect(reply.json["error"] == "invalid_state")
            }
            // Started on n0, expired (its row's expiry moved into the past, as the clock would),
            // then called back on n1 and exchanged on n2.
            let started = try await Self.authorize(harness, on: 0, hint: "frank", state: "f")
            let target = try Self.publicTarget(started, harness)
            let db = try PostgresClient(url: harness.databaseURL)
            let table = "\(harness.schema).tmi_identity_pending"
            let moved = try await db.execute("UPDATE \(table) SET expires_at = 1")
            #expect(moved == 2, "the login and its test code")
            let expired = try await Self.get(harness, 1, target)
            #expect(expired.status == 400)
            #expect(expired.json["error"] == "invalid_state")
            let code = try #require(Self.query(target)["code"])
            let traded = try await Self.exchange(
                harness, on: 2,
                ["code": .string(code), "redirect_uri": .string(harness.issuer + "/oauth2/callback")])
            #expect(traded.status == 400)
            #expect(traded.json["error"] == "invalid_grant")

            // A flood: the table already holds the maximum of unexpired logins (10,000), so a
            // new authorize is refused with a JSON 503 on any node, and nothing is added.
            let far = Int64(Date().timeIntervalSince1970) + 3600
            try await db.execute(
                """
                INSERT INTO \(table) (kind, key, payload, expires_at)
                SELECT 'login', 'flood-' || g, '{}', $1 FROM generate_series(1, 10000) g
                """, [.int64(far)])
            for i in 0..<3 {
                let refused = try await Self.authorize(harness, on: i, hint: "gina", state: "g")
                #expect(refused.status == 503)
                #expect(refused.json["error"] == "temporarily_unavailable")
                #expect(refused.json["error_description"]?.stringValue?.isEmpty == false)
                #expect(refused.headers["Retry-After"] != nil)
            }
            let added = try await db.query("SELECT count(*) AS n FROM \(table) WHERE key NOT LIKE 'flood-%'")
            #expect(
                try added.rows.first?.int("n") == 0,
                "the refused logins left nothing (frank's expired one purged)")
            // Once they are gone, logins work again.
            try await db.execute("DELETE FROM \(table) WHERE key LIKE 'flood-%'")
            #expect(try await Self.authorize(harness, on: 2, hint: "gina", state: "g").status == 302)
            await db.close()
        }
    }
}
