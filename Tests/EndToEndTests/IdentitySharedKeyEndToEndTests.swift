import CollabCore
import Foundation
import RESTGateway
import Testing

@testable import Identity

/// Two nodes behind one public URL accept each other's access tokens (DESIGN §11, issue 14's
/// prerequisite): with `--signing-key` they sign with the same key; without it, nodes sharing a
/// PostgreSQL store take the key the first of them generated. Node B is started with A's URL as
/// its public URL, as both would have the load balancer's, so issuer and audience agree.
@Suite struct IdentitySharedKeyEndToEndTests {
    /// GET /threat_models on `server` with `token`: 200 when the node accepts the token.
    static func status(_ server: LiveServer, _ token: String) async throws -> Int {
        try await IdentityClient(base: "http://127.0.0.1:\(server.port)").get("/threat_models", bearer: token)
            .status
    }

    static func node(publicURL: String?, store: TestStore = .embedded, signingKey: String? = nil) async throws
        -> LiveServer
    {
        try await LiveServer.startWithIdentity(store: store) { c in
            c.publicURL = publicURL
            c.signingKeyFile = signingKey
        }
    }

    @Test func nodesWithTheSameSigningKeyFileAcceptEachOthersTokens() async throws {
        let directory = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyFile = directory + "/shared-signing-key.pem"
        try Data(try RSAKey.generate().privateKeyPEM()).write(to: URL(fileURLWithPath: keyFile))

        let a = try await Self.node(publicURL: nil, signingKey: keyFile)
        defer { Task { await a.stop() } }
        let b = try await Self.node(publicURL: a.baseURL, signingKey: keyFile)
        defer { Task { await b.stop() } }
        let alone = try await Self.node(publicURL: a.baseURL)
        defer { Task { await alone.stop() } }

        let token = try await IdentityClient(server: a).loginJSON("alice").access
        #expect(try await Self.status(a, token) == 200)
        #expect(try await Self.status(b, token) == 200, "node B accepts node A's token")
        // The control: a node with a key of its own refuses it, so the check above can fail.
        #expect(try await Self.status(alone, token) == 401)
        let jwksA = try await IdentityClient(server: a).get("/.well-known/jwks.json").json
        let jwksB = try await IdentityClient(base: "http://127.0.0.1:\(b.port)").get("/.well-known/jwks.json")
            .json
        #expect(jwksA == jwksB)
    }

    @Test func aSigningKeyFileThatIsNotAnRSAKeyStopsTheStart() async throws {
        let directory = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyFile = directory + "/not-a-key.pem"
        try Data("-----BEGIN NONSENSE-----\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        await #expect(throws: (any Error).self) {
            _ = try await Self.node(publicURL: nil, signingKey: keyFile)
        }
        await #expect(throws: (any Error).self) {
            _ = try await Self.node(publicURL: nil, signingKey: directory + "/missing.pem")
        }
    }

    /// Without `--signing-key`, the first node generates the key and keeps it in PostgreSQL; a
    /// second node on the same database (its own data directory) signs with that one.
    @Test func nodesSharingPostgreSQLShareTheGeneratedKey() async throws {
        guard TestDatabase.shouldRun else {
            print("IdentitySharedKeyEndToEndTests: skipped, no test PostgreSQL (TMI_TEST_DATABASE_URL)")
            return
        }
        let store = TestStore.postgresql(schema: TestDatabase.freshSchema())
        defer { Task { await store.destroy() } }
        let a = try await Self.node(publicURL: nil, store: store)
        defer { Task { await a.stop() } }
        let b = try await Self.node(publicURL: a.baseURL, store: store)
        defer { Task { await b.stop() } }
        let alone = try await Self.node(publicURL: a.baseURL)
        defer { Task { await alone.stop() } }

        let fromA = try await IdentityClient(server: a).loginJSON("alice").access
        #expect(try await Self.status(b, fromA) == 200, "node B accepts node A's token")
        #expect(try await Self.status(alone, fromA) == 401)
        let jwksB = try await IdentityClient(base: "http://127.0.0.1:\(b.port)").get("/.well-known/jwks.json")
            .json
        #expect(try await IdentityClient(server: a).get("/.well-known/jwks.json").json == jwksB)
    }
}
