import CollabCore
import FoundationEssentials
import Testing
import WireProtocol

@testable import Identity
@testable import RESTGateway

/// Lifetimes of access tokens, refresh tokens and logins in progress, with the service's clock
/// moved by hand (no sleeping): DESIGN §5, §10; RFC 7519 §4.1.4.
@Suite struct IdentityExpiryTests {
    @Test func anAccessTokenIsRefusedOnceExpiredGiveOrTakeTheLeeway() async throws {
        let clock = ManualClock()
        let harness = try await IdentityHarness.make(clock: clock)
        let tokens = try await harness.login("alice")
        let access = try #require(tokens["access_token"])
        #expect(tokens["expires_in"] == "3600")
        #expect(await harness.send("GET", "/oauth2/userinfo", bearer: access).status == 200)

        // exp = iat + 3600; the leeway (30 s) is tolerated, not a second more.
        clock.advance(3600 + 29)
        #expect(await harness.send("GET", "/oauth2/userinfo", bearer: access).status == 200)
        clock.advance(1)
        let expired = await harness.send("GET", "/oauth2/userinfo", bearer: access)
        #expect(expired.status == 401)
        let challenge = try #require(expired.headers["WWW-Authenticate"])
        #expect(challenge.hasPrefix("Bearer "))
        #expect(challenge.contains("error=\"invalid_token\""))
        #expect(challenge.contains("expired"))
        #expect(
            await harness.send("POST", "/oauth2/introspect", form: "token=\(access)").body
                == Array(#"{"active":false}"#.utf8))

        // The refresh token outlives it and yields a fresh access token.
        let refreshed = await harness.send(
            "POST", "/oauth2/refresh", json: ["refresh_token": .string(tokens["refresh_token"] ?? "")])
        #expect(refreshed.status == 200)
        let fresh = try #require(try JSONValue.parse(refreshed.body)["access_token"]?.stringValue)
        #expect(await harness.send("GET", "/oauth2/userinfo", bearer: fresh).status == 200)
    }

    @Test func aRefreshTokenLastsThirtyDays() async throws {
        let clock = ManualClock()
        let harness = try await IdentityHarness.make(clock: clock)
        let tokens = try await harness.login("alice")
        clock.advance(30 * 24 * 3600 - 1)
        let almost = await harness.send(
            "POST", "/oauth2/refresh", json: ["refresh_token": .string(tokens["refresh_token"] ?? "")])
        #expect(almost.status == 200)
        let next = try #require(try JSONValue.parse(almost.body)["refresh_token"]?.stringValue)
        // Each rotation starts a new 30 days.
        clock.advance(30 * 24 * 3600 - 1)
        let stillValid = await harness.send("POST", "/oauth2/refresh", form: "refresh_token=\(next)")
        #expect(stillValid.status == 200)
        let last = try #require(try JSONValue.parse(stillValid.body)["refresh_token"]?.stringValue)
        clock.advance(30 * 24 * 3600)
        #expect(await harness.send("POST", "/oauth2/refresh", form: "refresh_token=\(last)").status == 401)
    }

    /// Expired sessions leave the ledger, in memory and on disk, at the first change
    /// after a prune interval (`IdentityService.ledgerPruneInterval`) has passed.
    @Test func expiredSessionsLeaveTheLedger() async throws {
        let clock = ManualClock()
        let harness = try await IdentityHarness.make(clock: clock)
        let alice = try await harness.login("alice")
        func families() -> Int { harness.service.state.withLock { $0.ledger.families.count } }
        func onDisk() throws -> TokenLedger {
            try JournaledFile<TokenLedger>.load(
                directory: harness.service.configuration.directory, name: "tokens"
            ).content
        }
        #expect(families() == 1)
        // Past the refresh token's 30 days: refused at once, forgotten at the next change.
        clock.advance(30 * 24 * 3600 + 1)
        let refresh = "refresh_token=\(alice["refresh_token"] ?? "")"
        #expect(await harness.send("POST", "/oauth2/refresh", form: refresh).status == 401)
        _ = try await harness.login("bob")
        #expect(families() == 1)
        #expect(try onDisk().families.count == 1)
        #expect(try onDisk() == harness.service.state.withLock { $0.ledger })
        let bob = harness.service.users.first { $0.email.hasPrefix("bob") }?.id
        #expect(bob != nil)
        #expect(try onDisk().families.values.map(\.userID) == [bob])
    }

    @Test func aLoginInProgressExpiresAfterTenMinutes() async throws {
        let clock = ManualClock()
        let harness = try await IdentityHarness.make(clock: clock)
        let authorize = "/oauth2/authorize?idp=test&login_hint=alice&scope=openid&state=S"
        let fresh = try #require(await harness.send("GET", authorize).headers["Location"])
        let late = try #require(await harness.send("GET", authorize).headers["Location"])
        let base = harness.service.configuration.publicBaseURL
        clock.advance(599)
        #expect(await harness.send("GET", String(fresh.dropFirst(base.count))).status == 200)
        clock.advance(1)
        #expect(await harness.send("GET", String(late.dropFirst(base.count))).status == 400)
    }

    @Test func anHS256ServerPublishesNoKeyAndRefusesRS256Tokens() async throws {
        let clock = ManualClock()
        let secret = String(repeating: "k", count: 32)
        let hs = try await IdentityHarness.make(
            .make(clock: clock, algorithm: .hs256, secret: secret), clock: clock)
        let rs = try await IdentityHarness.make(clock: clock)
        #expect(try JSONValue.parse(await hs.send("GET", "/.well-known/jwks.json").body) == ["keys": []])
        let hsToken = try #require(try await hs.login("alice")["access_token"])
        let rsToken = try #require(try await rs.login("alice")["access_token"])
        #expect(await hs.send("GET", "/oauth2/userinfo", bearer: hsToken).status == 200)
        #expect(await hs.send("GET", "/oauth2/userinfo", bearer: rsToken).status == 401)
        #expect(await rs.send("GET", "/oauth2/userinfo", bearer: hsToken).status == 401)
    }
}
