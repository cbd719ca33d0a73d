import CollabCore
import Foundation
import RESTGateway
import Testing

/// Two nodes over one PostgreSQL honour each other's refresh tokens, revocations and users
/// (DESIGN §11, issue 14). Each node has its own data directory, so whatever B knows of a login
/// on A it can only have from the database. B is started with A's URL as its public URL, as both
/// would have the load balancer's.
@Suite struct IdentitySharedStateEndToEndTests {
    struct Nodes {
        let a, b: LiveServer
        let store: TestStore
        var clientA: IdentityClient { IdentityClient(server: a) }
        var clientB: IdentityClient { IdentityClient(base: "http://127.0.0.1:\(b.port)") }

        func stop() async {
            await a.stop()
            await b.stop()
            await store.destroy()
        }
    }

    /// Two nodes on a fresh schema, or nil (skipped with a printed reason) without a test
    /// PostgreSQL outside CI; in CI the store's `requireURL` makes the test fail instead.
    static func nodes() async throws -> Nodes? {
        guard TestDatabase.shouldRun else {
            print("IdentitySharedStateEndToEndTests: skipped, no test PostgreSQL (TMI_TEST_DATABASE_URL)")
            return nil
        }
        let store = TestStore.postgresql(schema: TestDatabase.freshSchema())
        let a = try await LiveServer.startWithIdentity(store: store) { _ in }
        let b = try await LiveServer.startWithIdentity(store: store) { c in c.publicURL = a.baseURL }
        return Nodes(a: a, b: b, store: store)
    }

    static func refresh(_ client: IdentityClient, _ token: String) async throws -> Reply {
        try await client.post("/oauth2/refresh", json: ["refresh_token": .string(token)])
    }

    /// Waits until `client` answers `token` with `status` at `/oauth2/userinfo`.
    static func waitForUserinfo(_ client: IdentityClient, _ token: String, status: Int, _ what: String)
        async throws
    {
        try await within(seconds: 30, what) {
            while try await client.userinfo(token).status != status {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func aRefreshTokenIssuedOnARefreshesOnBExactlyOnce() async throws {
        guard let nodes = try await Self.nodes() else { return }
        let login = try await nodes.clientA.loginJSON("alice")

        let onB = try await Self.refresh(nodes.clientB, login.refresh)
        #expect(onB.status == 200, "node B refreshes node A's token: \(onB.json)")
        let rotated = try Tokens(onB.json)
        #expect(try await nodes.clientA.userinfo(rotated.access).status == 200)

        // Spent: a second use fails anywhere, with the same error as on one node.
        let againOnA = try await Self.refresh(nodes.clientA, login.refresh)
        #expect(againOnA.status == 401)
        #expect(againOnA.json["error"] != nil && againOnA.json["error_description"] != nil)
        #expect(try await Self.refresh(nodes.clientB, login.refresh).status == 401)
        // The reuse revoked the family: the rotated refresh token is dead on both nodes, and its
        // access token is refused on B at once and on A once A has read the revocation.
        #expect(try await Self.refresh(nodes.clientA, rotated.refresh).status == 401)
        try await Self.waitForUserinfo(
            nodes.clientA, rotated.access, status: 401, "A to honour the family's revocation")
        await nodes.stop()
    }

    @Test func concurrentRefreshesOnBothNodesLetExactlyOneThrough() async throws {
        guard let nodes = try await Self.nodes() else { return }
        let login = try await nodes.clientA.loginJSON("bob")
        async let onA = Self.refresh(nodes.clientA, login.refresh)
        async let onB = Self.refresh(nodes.clientB, login.refresh)
        let statuses = try await [onA.status, onB.status]
        // The atomic spend lets one through; the other is a reuse (or, if it came first, the
        // reuse revoked the family before the winner recorded its successor: then both fail).
        #expect(statuses.filter { $0 == 200 }.count <= 1)
        #expect(statuses.contains(401))
        await nodes.stop()
    }

    @Test func aRevocationOnBIsHonouredByA() async throws {
        guard let nodes = try await Self.nodes() else { return }
        let carol = try await nodes.clientA.loginJSON("carol")
        let dave = try await nodes.clientA.loginJSON("dave")
        #expect(try await nodes.clientA.userinfo(carol.access).status == 200)

        #expect(try await nodes.clientB.post("/oauth2/revoke", json: [:], bearer: carol.access).status == 204)
        #expect(try await nodes.clientB.userinfo(carol.access).status == 401, "B refuses it at once")
        try await Self.waitForUserinfo(nodes.clientA, carol.access, status: 401, "A to honour B's revocation")
        // Only that token: another user's token still works on A.
        #expect(try await nodes.clientA.userinfo(dave.access).status == 200)

        // Revoking a refresh token on B ends its family on A too.
        #expect(
            try await nodes.clientB.post(
                "/oauth2/revoke", form: [("token", dave.refresh), ("token_type_hint", "refresh_token")],
                bearer: dave.access
            ).status == 204)
        #expect(try await Self.refresh(nodes.clientA, dave.refresh).status == 401)
        try await Self.waitForUserinfo(
            nodes.clientA, dave.access, status: 401, "A to honour the family's revocation")
        await nodes.stop()
    }

    @Test func aUserWhoLoggedInOnAIsKnownOnB() async throws {
        guard let nodes = try await Self.nodes() else { return }
        let erin = try await nodes.clientA.loginJSON("erin")
        let fromA = try await nodes.clientA.userinfo(erin.access)
        #expect(fromA.status == 200)
        let onB = try await nodes.clientB.userinfo(erin.access)
        #expect(onB.status == 200, "node B knows A's user: \(onB.json)")
        #expect(onB.json["sub"] == fromA.json["sub"])
        #expect(onB.json["email"] == "erin@test.tmi")

        // A login on another node (with a public URL of its own) finds the same user.
        let c = try await LiveServer.startWithIdentity(store: nodes.store) { _ in }
        let again = try await IdentityClient(server: c).loginJSON("erin")
        #expect(try await IdentityClient(server: c).userinfo(again.access).json["sub"] == fromA.json["sub"])
        await c.stop()
        await nodes.stop()
    }
}
