import CollabCore
import Foundation
import RESTGateway
import Testing

/// A new server on the same data directory keeps the users, the signing key, refresh tokens and
/// revocations (issue 4: "Revocations and refresh tokens survive a restart").
@Suite struct IdentityRestartEndToEndTests {
    @Test func usersKeysRefreshTokensAndRevocationsSurviveARestart() async throws {
        let directory = LiveServer.temporaryDirectory()
        let first = try await LiveServer.startWithIdentity(dataDirectory: directory)
        var client = IdentityClient(server: first)
        let alice = try await client.loginJSON("alice")
        let aliceID = try #require(try await client.userinfo(alice.access).json["sub"])
        let jwks = try await client.get("/.well-known/jwks.json").json
        // A rotated refresh token (spent) and its successor (live).
        let rotated = try Tokens(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)]).json)
        // Bob logs in twice: one access token revoked, one whole login revoked.
        let bob = try await client.loginJSON("bob")
        let bobAgain = try await client.loginJSON("bob")
        #expect(try await client.post("/oauth2/revoke", json: [:], bearer: bob.access).status == 204)
        #expect(
            try await client.post(
                "/oauth2/revoke", json: ["refresh_token": .string(bobAgain.refresh)], bearer: bobAgain.access
            )
            .status == 204)
        let port = first.port
        await first.stop()

        // Same port, so the issuer and audience (http://127.0.0.1:PORT) are the same too.
        let second = try await LiveServer.startWithIdentity(dataDirectory: directory, port: port)
        client = IdentityClient(server: second)
        #expect(try await client.get("/.well-known/jwks.json").json == jwks, "the signing key is kept")
        let before = try await client.userinfo(rotated.access)
        #expect(before.status == 200, "a token signed before the restart still verifies")
        #expect(before.json["sub"] == aliceID)
        #expect(try await client.userinfo(try await client.loginJSON("alice").access).json["sub"] == aliceID)

        #expect(try await client.userinfo(bob.access).status == 401, "a revoked access token stays revoked")
        #expect(try await client.userinfo(bobAgain.access).status == 401)
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(bobAgain.refresh)])
                .status == 401)
        // Bob's first login was only logged out of one access token: its refresh token lives on.
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(bob.refresh)]).status
                == 200)

        // Alice's live refresh token works; her spent one is still recognised as spent, and its
        // reuse still revokes the family.
        let renewed = try await client.post(
            "/oauth2/refresh", json: ["refresh_token": .string(rotated.refresh)])
        #expect(renewed.status == 200)
        let after = try Tokens(renewed.json)
        #expect(
            try await client.post("/oauth2/refresh", json: ["refresh_token": .string(alice.refresh)]).status
                == 401)
        #expect(try await client.userinfo(after.access).status == 401)

        // Nothing secret is stored in the clear: the token files (snapshot and journal) hold
        // hashes only.
        let ledger = ["tokens.json", "tokens.journal"].compactMap {
            try? String(contentsOfFile: directory + "/identity/" + $0, encoding: .utf8)
        }.joined()
        #expect(ledger.contains("refreshTokens"))
        for token in [alice.refresh, rotated.refresh, after.refresh, bob.refresh] {
            #expect(!ledger.contains(token))
        }
        let attributes = try FileManager.default.attributesOfItem(
            atPath: directory + "/identity/signing-key.pem")
        #expect(
            (attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0, "the key is private to the owner"
        )
        await second.stop()
    }
}
