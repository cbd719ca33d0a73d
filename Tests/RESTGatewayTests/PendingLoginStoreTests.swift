import CollabCore
import StoragePostgres
import Testing

@testable import Identity
@testable import RESTGateway

/// The contract of `PendingLoginStore` (logins in progress, docs/cluster.md), checked on both
/// implementations: this process's memory, and PostgreSQL (migration 12) through the same
/// adapter the server uses. Two stores on one schema stand for two nodes.
@Suite struct PendingLoginStoreTests {
    enum Backend: String, CaseIterable, Sendable { case memory, postgresql }

    /// Two handles on one store (two "nodes"), and how to clean up after.
    struct Pair {
        let a, b: any PendingLoginStore
        let cleanup: @Sendable () async -> Void
    }

    static func pair(_ backend: Backend) async throws -> Pair? {
        switch backend {
        case .memory:
            let store = MemoryPendingLoginStore()
            return Pair(a: store, b: store, cleanup: {})
        case .postgresql:
            guard TestDatabase.shouldRun else { return nil }
            let url = try TestDatabase.requireURL()
            let schema = TestDatabase.freshSchema()
            let a = try PostgresIdentitySharedStore(url: url, schema: schema)
            let b = try PostgresIdentitySharedStore(url: url, schema: schema)
            return Pair(a: a, b: b, cleanup: { await TestDatabase.dropSchema(schema) })
        }
    }

    static func login(_ key: String, expiresAt: Int64 = 1_000) -> PendingLoginEntry {
        PendingLoginEntry(kind: .login, key: key, payload: #"{"provider":"test"}"#, expiresAt: expiresAt)
    }

    @Test(arguments: Backend.allCases)
    func anEntryIsTakenExactlyOnceEvenWhenNodesRace(_ backend: Backend) async throws {
        guard let stores = try await Self.pair(backend) else { return }
        let code = PendingLoginEntry(
            kind: .testCode, key: "c1", login: "s1", payload: #"{"hint":"alice"}"#, expiresAt: 1_000)
        #expect(try await stores.a.insert([Self.login("s1"), code], limit: 10, now: 100))
        // The other node sees it, unused, with its payload.
        let seen = try #require(try await stores.b.entry(.testCode, key: "c1", now: 100))
        #expect(seen.payload == #"{"hint":"alice"}"# && !seen.used && seen.login == "s1")
        // Another kind with the same key is another entry.
        #expect(try await stores.b.entry(.grant, key: "c1", now: 100) == nil)

        // 16 takes at once, half through each handle: exactly one wins, the rest see a replay.
        let outcomes = try await withThrowingTaskGroup(of: PendingLoginTake.self) { group in
            for i in 0..<16 {
                let store = i % 2 == 0 ? stores.a : stores.b
                group.addTask { try await store.take(.testCode, key: "c1", now: 101) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let winners = outcomes.filter { if case .taken = $0 { true } else { false } }
        let replays = outcomes.filter { if case .alreadyUsed = $0 { true } else { false } }
        #expect(winners.count == 1)
        #expect(replays.count == 15)
        #expect(try await stores.a.entry(.testCode, key: "c1", now: 102)?.used == true)
        #expect(try await stores.a.take(.testCode, key: "nope", now: 102) == .unknown)
        await stores.cleanup()
    }

    @Test(arguments: Backend.allCases)
    func anExpiredEntryIsUnknownAndPurged(_ backend: Backend) async throws {
        guard let stores = try await Self.pair(backend) else { return }
        #expect(try await stores.a.insert([Self.login("old", expiresAt: 200)], limit: 10, now: 100))
        #expect(try await stores.a.insert([Self.login("new", expiresAt: 900)], limit: 10, now: 100))
        #expect(try await stores.b.entry(.login, key: "old", now: 199) != nil)
        // At its expiry it is gone for reading and for taking, used or not.
        #expect(try await stores.b.entry(.login, key: "old", now: 200) == nil)
        #expect(try await stores.b.take(.login, key: "old", now: 200) == .unknown)
        #expect(try await stores.a.take(.login, key: "new", now: 300) != .unknown)
        try await stores.b.purge(now: 500)
        // Purged: even a clock set back does not bring it back; the live one stays.
        #expect(try await stores.a.entry(.login, key: "old", now: 100) == nil)
        #expect(try await stores.a.entry(.login, key: "new", now: 500)?.used == true)
        await stores.cleanup()
    }

    @Test(arguments: Backend.allCases)
    func updateReplacesThePayload(_ backend: Backend) async throws {
        guard let stores = try await Self.pair(backend) else { return }
        let grant = PendingLoginEntry(kind: .grant, key: "g", payload: #"{"userID":"u"}"#, expiresAt: 900)
        #expect(try await stores.a.insert([grant], limit: nil, now: 100))
        guard case .taken = try await stores.a.take(.grant, key: "g", now: 100) else {
            Issue.record("the grant was not taken")
            return
        }
        try await stores.a.update(.grant, key: "g", payload: #"{"family":"f","userID":"u"}"#)
        guard case .alreadyUsed(let replay) = try await stores.b.take(.grant, key: "g", now: 101) else {
            Issue.record("a second take must be a replay")
            return
        }
        #expect(replay.payload == #"{"family":"f","userID":"u"}"#)
        await stores.cleanup()
    }

    /// The bound: memory forgets its oldest logins (and their test codes) as one node always
    /// has; PostgreSQL refuses the new login, until expiry makes room.
    @Test(arguments: Backend.allCases)
    func pendingLoginsAreBounded(_ backend: Backend) async throws {
        guard let stores = try await Self.pair(backend) else { return }
        for i in 0..<3 {
            let code = PendingLoginEntry(
                kind: .testCode, key: "c\(i)", login: "s\(i)", payload: "{}", expiresAt: Int64(200 + i))
            #expect(
                try await stores.a.insert(
                    [Self.login("s\(i)", expiresAt: Int64(200 + i)), code], limit: 3, now: 100))
        }
        let fourth = try await stores.b.insert([Self.login("s3", expiresAt: 900)], limit: 3, now: 100)
        switch backend {
        case .memory:
            #expect(fourth)
            #expect(try await stores.a.entry(.login, key: "s0", now: 100) == nil)
            #expect(try await stores.a.entry(.testCode, key: "c0", now: 100) == nil)
            #expect(try await stores.a.entry(.login, key: "s3", now: 100) != nil)
            #expect(try await stores.a.entry(.testCode, key: "c1", now: 100) != nil)
        case .postgresql:
            #expect(!fourth, "a fourth login is refused")
            #expect(try await stores.a.entry(.login, key: "s3", now: 100) == nil, "and nothing recorded")
            #expect(try await stores.a.entry(.login, key: "s0", now: 100) != nil)
            // Grants are not logins: they are not counted.
            let grant = PendingLoginEntry(kind: .grant, key: "g", payload: "{}", expiresAt: 900)
            #expect(try await stores.a.insert([grant], limit: nil, now: 100))
            // Once the oldest expired there is room again.
            #expect(try await stores.b.insert([Self.login("s3", expiresAt: 900)], limit: 3, now: 200))
            #expect(try await stores.a.entry(.login, key: "s3", now: 200) != nil)
        }
        await stores.cleanup()
    }

    /// A database that cannot be reached mid-login: a 503 the client may retry, never a 500.
    /// (Nothing listens on port 1: the connection is refused by the kernel.)
    @Test func anUnreachableStoreIsA503NotA500() async throws {
        var configuration = IdentityConfiguration.make()
        configuration.pendingLogins = try PostgresIdentitySharedStore(
            url: "postgres://tmi:secret@127.0.0.1:1/tmi?sslmode=disable", schema: "public")
        let harness = try await IdentityHarness.make(configuration)
        for target in [
            "/oauth2/authorize?idp=test&scope=openid&login_hint=alice",
            "/oauth2/callback?code=c&state=s",
        ] {
            let reply = await harness.send("GET", target)
            #expect(reply.status == 503, "\(target)")
            let json = try JSONValue.parse(reply.body)
            #expect(json["error"] == "temporarily_unavailable")
            #expect(json["error_description"]?.stringValue?.isEmpty == false)
            #expect(reply.headers["Retry-After"] == "1")
        }
        let exchange = await harness.send(
            "POST", "/oauth2/token",
            json: ["code": "c", "redirect_uri": "http://127.0.0.1:8080/oauth2/callback"])
        #expect(exchange.status == 503)
    }
}
