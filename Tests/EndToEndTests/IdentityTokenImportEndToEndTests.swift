import CollabCore
import Foundation
import RESTGateway
import Testing

/// A node that ran embedded and is restarted on PostgreSQL carries its token ledger (`tokens.json`
/// and its journal) into the database once (docs/cluster.md): its users stay logged in, on every node.
@Suite struct IdentityTokenImportEndToEndTests {
    @Test(.enabled(if: TestDatabase.shouldRun))
    func refreshTokensOfTheEmbeddedModeKeepWorkingOnEveryNode() async throws {
        _ = try TestDatabase.requireURL()
        let directory = LiveServer.temporaryDirectory()
        let embedded = try await LiveServer.startWithIdentity(dataDirectory: directory)
        let alice = try await IdentityClient(server: embedded).loginJSON("alice")
        let bob = try await IdentityClient(server: embedded).loginJSON("bob")
        // A revoked family is not carried over.
        #expect(
            try await IdentityClient(server: embedded).post(
                "/oauth2/revoke", form: [("token", bob.refresh), ("token_type_hint", "refresh_token")],
                bearer: bob.access
            ).status == 204)
        let sub = try await IdentityClient(server: embedded).userinfo(alice.access).json["sub"]
        await embedded.stop()

        let store = TestStore.postgresql(schema: TestDatabase.freshSchema())
        let tokensFile = directory + "/identity/tokens.json"
        let journalFile = directory + "/identity/tokens.journal"
        // The logins were journaled (no snapshot yet: the ledger is small).
        #expect(FileManager.default.fileExists(atPath: journalFile))
        let a = try await LiveServer.startWithIdentity(dataDirectory: directory, store: store)
        #expect(!FileManager.default.fileExists(atPath: tokensFile), "imported once, then renamed")
        #expect(!FileManager.default.fileExists(atPath: journalFile), "folded into the imported file")
        #expect(FileManager.default.fileExists(atPath: tokensFile + ".imported"))
        // Another node, with a data directory of its own, refreshes alice's old token.
        let b = try await LiveServer.startWithIdentity(store: store) { c in c.publicURL = a.baseURL }
        let onB = try await IdentityClient(server: b).post(
            "/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)])
        #expect(onB.status == 200, "\(onB.json)")
        let rotated = try Tokens(onB.json)
        let info = try await IdentityClient(server: a).userinfo(rotated.access)
        #expect(info.status == 200)
        #expect(info.json["sub"] == sub, "the same user id as before the move")
        #expect(info.json["email"] == "alice@test.tmi")
        // Spent there, it is spent everywhere; bob's revoked token never came over.
        #expect(
            try await IdentityClient(server: a).post(
                "/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)]
            ).status == 401)
        #expect(
            try await IdentityClient(server: a).post(
                "/oauth2/refresh", json: ["refresh_token": .string(bob.refresh)]
            ).status == 401)
        await a.stop()

        // Put back by hand (or a crash before the rename): a second import changes nothing,
        // so the spent token stays spent.
        try FileManager.default.moveItem(atPath: tokensFile + ".imported", toPath: tokensFile)
        let again = try await LiveServer.startWithIdentity(dataDirectory: directory, store: store)
        #expect(FileManager.default.fileExists(atPath: tokensFile + ".imported"))
        #expect(
            try await IdentityClient(server: again).post(
                "/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)]
            ).status == 401)
        #expect(
            try await IdentityClient(server: again).post(
                "/oauth2/refresh", json: ["refresh_token": .string(rotated.refresh)]
            ).status == 401, "the reuse just above revoked the family")
        await again.stop()
        await b.stop()
        await store.destroy()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
