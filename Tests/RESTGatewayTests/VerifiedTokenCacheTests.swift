import CollabCore
import Testing

@testable import Identity
@testable import RESTGateway

/// A cached token must stay exactly as usable as a freshly verified one: expiry and revocation
/// still end it, and the cache never grows past its bound.
@Suite struct VerifiedTokenCacheTests {
    func loggedIn() async throws -> (IdentityHarness, String) {
        let harness = try await IdentityHarness.make()
        let token = try #require(try await harness.login("alice")["access_token"])
        return (harness, token)
    }

    @Test func repeatedUseVerifiesOnceAndAnswersTheSameUser() async throws {
        let (harness, token) = try await loggedIn()
        let first = try harness.service.verifyAccessToken(token)
        let second = try harness.service.verifyAccessToken(token)
        #expect(first == second)
        #expect(second.email == "alice@test.tmi")
        #expect(harness.service.verifiedTokens.claims(of: token) == first)
    }

    @Test func aCachedTokenStillExpires() async throws {
        let (harness, token) = try await loggedIn()
        _ = try harness.service.verifyAccessToken(token)
        let configuration = harness.service.configuration
        harness.clock.advance(Double(configuration.accessTokenLifetime + configuration.leeway + 1))
        #expect(throws: IdentityError.self) { try harness.service.verifyAccessToken(token) }
        let response = await harness.send("GET", "/oauth2/userinfo", bearer: token)
        #expect(response.status == 401)
    }

    @Test func aCachedTokenStillHonoursRevocation() async throws {
        let (harness, token) = try await loggedIn()
        let user = try harness.service.verifyAccessToken(token)
        #expect(await harness.send("GET", "/oauth2/userinfo", bearer: token).status == 200)
        try await harness.service.revoke(token: token, hint: "access_token", callerID: user.subject)
        #expect(await harness.send("GET", "/oauth2/userinfo", bearer: token).status == 401)
    }

    @Test func aTamperedTokenIsNotServedFromTheCache() async throws {
        let (harness, token) = try await loggedIn()
        _ = try harness.service.verifyAccessToken(token)
        let tampered = String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")
        #expect(throws: IdentityError.self) { try harness.service.verifyAccessToken(tampered) }
    }

    @Test func theCacheStaysWithinItsCapacity() throws {
        let cache = VerifiedTokenCache(capacity: 3)
        let claims = AccessTokenClaims(
            subject: "u", email: "u@test.tmi", name: "U", issuer: "i", audience: "a", issuedAt: 0,
            notBefore: 0, expiresAt: 10, id: "j")
        for i in 0..<10 { cache.insert("token \(i)", claims) }
        #expect(cache.count <= 3)
        #expect(cache.claims(of: "token 9") == claims)
    }
}
