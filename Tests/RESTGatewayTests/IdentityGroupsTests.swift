import CollabCore
import Testing

@testable import Identity
@testable import RESTGateway

/// Every access token states where its user logged in (`idp`) and their IdP groups at that
/// login (`groups`): group authorization reads exactly these two claims. The test provider takes
/// the groups from `groups=a,b` on `/oauth2/authorize`.
@Suite struct IdentityGroupsTests {
    static func payload(_ token: String) throws -> JSONValue {
        let part = try #require(token.split(separator: ".").dropFirst().first)
        return try JSONValue.parse(try #require(Base64URL.decode(part)))
    }

    func login(_ harness: IdentityHarness, groups: String?) async throws -> (access: String, refresh: String)
    {
        var target = "/oauth2/authorize?idp=test&login_hint=alice&scope=openid"
        if let groups { target += "&groups=\(groups)" }
        let (last, _) = try await harness.browse(target)
        #expect(last.status == 200)
        let body = try JSONValue.parse(last.body)
        return (
            try #require(body["access_token"]?.stringValue), try #require(body["refresh_token"]?.stringValue)
        )
    }

    @Test func theTestProvidersGroupsReachTheTokenItsRefreshAndTheRequestUser() async throws {
        let harness = try await IdentityHarness.make()
        let (access, refresh) = try await login(harness, groups: "red%2C%20blue,%20red,,green")
        let claims = try Self.payload(access)
        #expect(claims["idp"] == "test")
        #expect(claims["groups"] == ["red", "blue", "green"])

        let user = try harness.service.authenticate(bearer: access)
        #expect(user.idp == "test" && user.groups == ["red", "blue", "green"])

        // A refresh carries the login's groups on: they change only at the next login.
        let refreshed = await harness.send(
            "POST", "/oauth2/refresh", json: ["refresh_token": .string(refresh)])
        #expect(refreshed.status == 200)
        let next = try #require(try JSONValue.parse(refreshed.body)["access_token"]?.stringValue)
        #expect(try Self.payload(next)["groups"] == ["red", "blue", "green"])
        #expect(try Self.payload(next)["idp"] == "test")

        let introspected = await harness.send("POST", "/oauth2/introspect", form: "token=\(next)")
        let body = try JSONValue.parse(introspected.body)
        #expect(body["idp"] == "test" && body["groups"] == ["red", "blue", "green"])
    }

    @Test func withoutGroupsTheClaimIsAnEmptyArray() async throws {
        let harness = try await IdentityHarness.make()
        let (access, _) = try await login(harness, groups: nil)
        let claims = try Self.payload(access)
        #expect(claims["idp"] == "test")
        #expect(claims["groups"] == .array([]))
        #expect(try harness.service.authenticate(bearer: access).groups.isEmpty)
    }

    @Test(arguments: [
        "a%01b",  // a control character
        String(repeating: "g", count: 129),  // one byte too long
        (1...65).map { "g\($0)" }.joined(separator: ","),  // one group too many
    ])
    func unusableGroupsAreA400(_ groups: String) async throws {
        let harness = try await IdentityHarness.make()
        let response = await harness.send(
            "GET", "/oauth2/authorize?idp=test&login_hint=alice&scope=openid&groups=\(groups)")
        #expect(response.status == 400)
        #expect(try JSONValue.parse(response.body)["error"] == "invalid_request")
    }

    @Test func aTokenWithoutTheClaimsStillVerifiesWithNoGroups() throws {
        let now: Int64 = 1_800_000_000
        var old = IdentityJWTTests.claims(now: now)
        old.idp = "test"
        old.groups = ["x"]
        guard case .object(var fields) = old.json else { throw Unexpected() }
        fields["idp"] = nil
        fields["groups"] = nil
        let parsed = try AccessTokenClaims(payload: .object(fields), expectedAudience: old.audience)
        #expect(parsed.idp == "" && parsed.groups == [])
        fields["groups"] = "admins"
        #expect(throws: JWTRejection.malformed("groups is not an array of strings")) {
            try AccessTokenClaims(payload: .object(fields), expectedAudience: old.audience)
        }
    }

    struct Unexpected: Error {}
}
