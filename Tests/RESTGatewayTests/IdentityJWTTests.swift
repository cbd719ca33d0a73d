import COpenSSL
import CollabCore
import FoundationEssentials
import Testing
import WireProtocol

@testable import Identity
@testable import RESTGateway

@Suite struct IdentityJWTTests {
    static let issuer = "http://127.0.0.1:8080"

    static func claims(now: Int64 = 1_800_000_000, lifetime: Int64 = 3600) -> AccessTokenClaims {
        AccessTokenClaims(
            subject: "u-1", email: "alice@test.tmi", name: "Alice", issuer: issuer, audience: issuer,
            issuedAt: now, notBefore: now, expiresAt: now + lifetime, id: "jti-1")
    }

    static func codec(_ key: SigningKey, issuer: String = issuer, audience: String = issuer) -> JWTCodec {
        JWTCodec(key: key, issuer: issuer, audience: audience, leeway: 30)
    }

    static let rsa: RSAKey? = try? RSAKey.generate()

    static func rsaCodec() throws -> JWTCodec {
        codec(.rsa(try #require(rsa), kid: "kid-1"))
    }

    /// A token with any header and payload, signed with HMAC under `secret` (or unsigned).
    static func forge(header: JSONValue, payload: JSONValue, secret: [UInt8]?) throws -> String {
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(payload.serialized())
        guard let secret else { return input + "." }
        return input + "."
            + Base64URL.encode(try CryptoPrimitives.hmacSHA256(key: secret, message: Array(input.utf8)))
    }

    @Test func rs256RoundTrip() throws {
        let codec = try Self.rsaCodec()
        let token = try codec.sign(Self.claims())
        let verified = try codec.verify(token, now: 1_800_000_100)
        #expect(verified == Self.claims())
        let header = try JSONValue.parse(try #require(Base64URL.decode(token.split(separator: ".")[0])))
        #expect(header["alg"] == "RS256" && header["typ"] == "JWT" && header["kid"] == "kid-1")
    }

    @Test func hs256RoundTripAndWrongSecret() throws {
        let codec = Self.codec(.hmac(Array(String(repeating: "s", count: 32).utf8), kid: "h"))
        let token = try codec.sign(Self.claims())
        #expect(try codec.verify(token, now: 1_800_000_000) == Self.claims())
        let other = Self.codec(.hmac(Array(String(repeating: "t", count: 32).utf8), kid: "h"))
        #expect(throws: JWTRejection.badSignature) { try other.verify(token, now: 1_800_000_000) }
    }

    @Test func algNoneIsRejected() throws {
        let token = try Self.forge(
            header: ["alg": "none", "typ": "JWT"], payload: Self.claims().json, secret: nil)
        #expect(throws: JWTRejection.algorithmNotAllowed("none")) {
            try Self.rsaCodec().verify(token, now: 1_800_000_000)
        }
    }

    /// RFC 8725 §3.1: HS256 "signed" with our RSA public key as the HMAC secret.
    @Test func hs256SignedWithThePublicKeyIsRejected() throws {
        let publicPEM = try #require(Self.rsa).publicKeyPEM()
        let token = try Self.forge(
            header: ["alg": "HS256", "typ": "JWT", "kid": "kid-1"], payload: Self.claims().json,
            secret: publicPEM)
        #expect(throws: JWTRejection.algorithmNotAllowed("HS256")) {
            try Self.rsaCodec().verify(token, now: 1_800_000_000)
        }
    }

    @Test func tamperedPayloadIsRejected() throws {
        let codec = try Self.rsaCodec()
        let parts = try codec.sign(Self.claims()).split(separator: ".").map(String.init)
        var evil = Self.claims()
        evil.subject = "u-admin"
        let forged =
            parts[0] + "." + Base64URL.encode(evil.json.serialized(sortedKeys: true)) + "." + parts[2]
        #expect(throws: JWTRejection.badSignature) { try codec.verify(forged, now: 1_800_000_000) }
    }

    @Test func wrongIssuerOrAudienceIsRejected() throws {
        let key = SigningKey.rsa(try #require(Self.rsa), kid: "kid-1")
        let token = try Self.codec(key).sign(Self.claims())
        #expect(throws: JWTRejection.wrongIssuer) {
            try Self.codec(key, issuer: "http://evil").verify(token, now: 1_800_000_000)
        }
        #expect(throws: JWTRejection.wrongAudience) {
            try Self.codec(key, audience: "other-api").verify(token, now: 1_800_000_000)
        }
    }

    @Test func expiryAndNotBeforeHonourTheLeeway() throws {
        let codec = try Self.rsaCodec()
        let token = try codec.sign(Self.claims(now: 1_800_000_000, lifetime: 3600))
        _ = try codec.verify(token, now: 1_800_003_600 + 29)
        #expect(throws: JWTRejection.expired) { try codec.verify(token, now: 1_800_003_600 + 30) }
        _ = try codec.verify(token, now: 1_800_000_000 - 30)
        #expect(throws: JWTRejection.notYetValid) { try codec.verify(token, now: 1_800_000_000 - 31) }
    }

    @Test(arguments: ["", "abc", "a.b", "a.b.c.d", "!!.e30.e30", "e30.e30.", "e30.e30.AAAA"])
    func malformedTokensAreRejected(token: String) throws {
        #expect(throws: JWTRejection.self) { try Self.rsaCodec().verify(token, now: 1_800_000_000) }
    }

    @Test func rejectionBecomesA401BearerChallenge() {
        let error = JWTRejection.expired.identityError
        #expect(error.status == 401)
        let challenge = error.headers["WWW-Authenticate"] ?? ""
        #expect(challenge.hasPrefix("Bearer ") && challenge.contains("error=\"invalid_token\""))
    }

    /// Verifies one of our tokens from the published JWKS alone, with RSA arithmetic done here
    /// (s^e mod n, then the RFC 8017 §9.2 EMSA-PKCS1-v1_5 encoding compared byte for byte), not
    /// through the production EVP verification path.
    @Test func ourTokenVerifiesAgainstOurJWKSIndependently() async throws {
        let harness = try await IdentityHarness.make()
        let tokens = try await harness.login("alice")
        let token = try #require(tokens["access_token"])
        let jwks = try #require(await harness.send("GET", "/.well-known/jwks.json").json)
        let jwk = try #require(jwks["keys"]?.arrayValue?.first)
        #expect(jwk["kty"] == "RSA" && jwk["alg"] == "RS256" && jwk["use"] == "sig")
        let parts = token.split(separator: ".").map(String.init)
        let header = try JSONValue.parse(try #require(Self.base64URLDecode(parts[0])))
        #expect(header["kid"] == jwk["kid"])

        let nText = try #require(jwk["n"]?.stringValue)
        let eText = try #require(jwk["e"]?.stringValue)
        let n = try #require(Self.base64URLDecode(nText))
        let e = try #require(Self.base64URLDecode(eText))
        let signature = try #require(Self.base64URLDecode(parts[2]))
        let signingInput = Array((parts[0] + "." + parts[1]).utf8)
        #expect(Self.rsaPKCS1SHA256Verify(n: n, e: e, signature: signature, message: signingInput))
        var tampered = signingInput
        tampered[tampered.count - 1] ^= 1
        #expect(!Self.rsaPKCS1SHA256Verify(n: n, e: e, signature: signature, message: tampered))
    }

    /// Foundation's base64 (not the production decoder) after mapping the URL alphabet back.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var s = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    static func rsaPKCS1SHA256Verify(n: [UInt8], e: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        guard let ctx = BN_CTX_new() else { return false }
        defer { BN_CTX_free(ctx) }
        let bn = { (bytes: [UInt8]) in BN_bin2bn(bytes, Int32(bytes.count), nil) }
        guard let bn_n = bn(n), let bn_e = bn(e), let bn_s = bn(signature), let result = BN_new() else {
            return false
        }
        defer { [bn_n, bn_e, bn_s, result].forEach { BN_free($0) } }
        guard BN_mod_exp(result, bn_s, bn_e, bn_n, ctx) == 1 else { return false }
        var em = [UInt8](repeating: 0, count: n.count)
        guard BN_bn2binpad(result, &em, Int32(em.count)) == Int32(em.count) else { return false }
        var digest = [UInt8](repeating: 0, count: 32)
        _ = SHA256(message, message.count, &digest)
        // DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
        let prefix: [UInt8] = [
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
            0x00,
            0x04, 0x20,
        ]
        let t = prefix + digest
        let expected = [0x00, 0x01] + [UInt8](repeating: 0xFF, count: n.count - t.count - 3) + [0x00] + t
        return em == expected
    }
}
