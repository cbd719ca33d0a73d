import CollabCore
import Testing

@testable import Identity

/// OIDC Core §3.1.3.7 checks on ES256 and RS256 ID tokens, one broken claim at a time.
@Suite struct IDTokenVerifierTests {
    static let now: Int64 = 1_800_000_000
    static let expected = IDTokenVerifier.Expectations(
        issuer: "https://idp.example", clientID: "tmi", nonce: "n-1", now: now, skew: 60)

    static func claims(_ change: (inout [String: JSONValue]) -> Void = { _ in }) -> JSONValue {
        var c: [String: JSONValue] = [
            "iss": "https://idp.example", "aud": "tmi", "sub": "u-7", "nonce": "n-1",
            "iat": .number(Double(now - 5)), "exp": .number(Double(now + 300)), "email": "a@idp.example",
        ]
        change(&c)
        return .object(c)
    }

    func check(_ claims: JSONValue, expecting e: IDTokenVerifier.Expectations = expected) throws -> String? {
        let ec = try TestECKey()
        let key = try #require(ProviderSigningKey.from(jwk: try ec.jwk(kid: "e1")))
        let token = try IDTokenVerifier.parse(try ec.token(claims, kid: "e1"))
        do {
            _ = try IDTokenVerifier.verify(token, key: key, expecting: e)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func aGoodES256TokenPasses() throws {
        #expect(try check(Self.claims()) == nil)
        #expect(
            try check(
                Self.claims {
                    $0["aud"] = ["other", "tmi"]; $0["azp"] = "tmi"
                }) == nil)
        // Within the skew either side.
        #expect(try check(Self.claims { $0["exp"] = .number(Double(Self.now - 30)) }) == nil)
    }

    @Test func eachBrokenClaimIsRefusedWithItsReason() throws {
        #expect(try check(Self.claims { $0["iss"] = "https://evil.example" })?.contains("issuer") == true)
        #expect(try check(Self.claims { $0["aud"] = "someone-else" })?.contains("audience") == true)
        #expect(
            try check(
                Self.claims {
                    $0["aud"] = ["other", "tmi"]; $0["azp"] = "other"
                })?.contains("azp") == true)
        #expect(
            try check(Self.claims { $0["exp"] = .number(Double(Self.now - 61)) })?.contains("expired") == true
        )
        #expect(
            try check(Self.claims { $0["nbf"] = .number(Double(Self.now + 120)) })?.contains("not valid yet")
                == true)
        #expect(try check(Self.claims { $0["nonce"] = "n-2" })?.contains("nonce") == true)
        #expect(try check(Self.claims { $0["nonce"] = nil })?.contains("nonce") == true)
        #expect(try check(Self.claims { $0["sub"] = nil })?.contains("sub") == true)
        #expect(try check(Self.claims { $0["exp"] = nil })?.contains("exp") == true)
    }

    @Test func microsoftsTenantTemplateIsFilledFromTid() throws {
        var e = Self.expected
        e.issuer = "https://login.microsoftonline.com/{tenantid}/v2.0"
        let good = Self.claims {
            $0["iss"] = "https://login.microsoftonline.com/t-1/v2.0"
            $0["tid"] = "t-1"
        }
        #expect(try check(good, expecting: e) == nil)
        let spoofed = Self.claims {
            $0["iss"] = "https://login.microsoftonline.com/t-1/v2.0"
            $0["tid"] = "t-2"
        }
        #expect(try check(spoofed, expecting: e)?.contains("issuer") == true)
    }

    @Test func onlyRS256AndES256AndOnlyTheMatchingKeyType() throws {
        func forged(_ alg: String) -> String {
            let header: JSONValue = ["alg": .string(alg)]
            return Base64URL.encode(header.serialized()) + "." + Base64URL.encode(Self.claims().serialized())
                + "."
        }
        for alg in ["none", "HS256", "PS256", "ES384"] {
            #expect(throws: ProviderRejection.self) { try IDTokenVerifier.parse(forged(alg)) }
        }
        let ec = try TestECKey()
        let rsa = try #require(
            ProviderSigningKey.from(jwk: try JSONWebKey(try RSAKey.generate()).json(kid: "e1")))
        let token = try IDTokenVerifier.parse(try ec.token(Self.claims(), kid: "e1"))
        // An RSA key published under the same kid is never used for an ES256 token.
        #expect(IDTokenVerifier.key(for: token, in: [rsa]) == nil)
        let ecKey = try #require(ProviderSigningKey.from(jwk: try ec.jwk(kid: "e1")))
        #expect(IDTokenVerifier.key(for: token, in: [rsa, ecKey]) === ecKey)
    }

    @Test func groupsAreNormalizedAndBounded() {
        #expect(ProviderGroups.normalize([" a ", "b", "a", "", 5]) == ["a", "b"])
        #expect(ProviderGroups.normalize("solo") == ["solo"])
        #expect(ProviderGroups.normalize(nil) == [])
        let many = JSONValue.array((0..<500).map { .string("g\($0)") })
        #expect(ProviderGroups.normalize(many).count == ProviderGroups.maxCount)
    }
}
