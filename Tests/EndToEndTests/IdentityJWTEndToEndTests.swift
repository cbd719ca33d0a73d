import COpenSSL
import CollabCore
import Foundation
import RESTGateway
import Testing

/// Our access tokens checked from outside: verified against our own JWKS by a second RS256
/// implementation (`IndependentJWS`, straight OpenSSL), and forged tokens refused over HTTP with
/// 401 and `WWW-Authenticate: Bearer` (RFC 6750 §3.1, RFC 8725 §2-3).
@Suite struct IdentityJWTEndToEndTests {
    @Test func ourAccessTokenVerifiesAgainstOurJWKSIndependently() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let tokens = try await client.loginJSON("alice")
        let sub = try #require(try await client.userinfo(tokens.access).json["sub"])

        let discovery = try await client.get("/.well-known/openid-configuration").json
        #expect(discovery["issuer"]?.stringValue == server.baseURL)
        let jwksURL = try #require(discovery["jwks_uri"]?.stringValue)
        #expect(jwksURL == server.baseURL + "/.well-known/jwks.json")
        let jwks = try await Browser.send("GET", jwksURL)
        #expect(jwks.status == 200)
        let keys = try #require(jwks.json["keys"]?.arrayValue)
        #expect(keys.count == 1)
        let jwk = try #require(keys.first)
        #expect(jwk["kty"] == "RSA")
        #expect(jwk["alg"] == "RS256")
        #expect(jwk["use"] == "sig")
        #expect(jwk["d"] == nil, "no private parts in the JWKS")

        let (header, payload, _) = try #require(IndependentJWS.parts(tokens.access))
        #expect(header["alg"] == "RS256")
        #expect(header["kid"] != nil)
        #expect(header["kid"] == jwk["kid"])

        let key = try IndependentJWS.publicKey(jwk: jwk)
        defer { EVP_PKEY_free(key) }
        #expect(EVP_PKEY_get_bits(key) >= 2048)
        #expect(IndependentJWS.verifyRS256(tokens.access, key: key))
        // The verifier is not trivially true: one flipped bit of the payload breaks it.
        var tampered = Array(tokens.access.utf8)
        let dot = try #require(tampered.firstIndex(of: UInt8(ascii: ".")))
        tampered[dot + 5] = tampered[dot + 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(!IndependentJWS.verifyRS256(String(decoding: tampered, as: UTF8.self), key: key))

        // The claims the issue lists.
        #expect(payload["sub"] == sub)
        #expect(payload["email"] == "alice@test.tmi")
        #expect(payload["name"] == "Alice (Test User)")
        #expect(payload["iss"]?.stringValue == server.baseURL)
        #expect(payload["aud"]?.stringValue == server.baseURL)
        #expect(payload["jti"]?.stringValue?.isEmpty == false)
        let iat = try #require(payload["iat"]?.doubleValue)
        #expect(payload["nbf"]?.doubleValue == iat)
        #expect(payload["exp"]?.doubleValue == iat + 3600)
        #expect(abs(iat - Date().timeIntervalSince1970) < 300)
        await server.stop()
    }

    /// Tokens an attacker could build, each refused on a protected route with 401 + Bearer.
    @Test func forgedTokensAreRefusedWithBearerChallenges() async throws {
        let server = try await LiveServer.startWithIdentity()
        let client = IdentityClient(server: server)
        let tokens = try await client.loginJSON("alice")
        let (header, payload, signature) = try #require(IndependentJWS.parts(tokens.access))
        let jwk = try #require(try await client.get("/.well-known/jwks.json").json["keys"]?.arrayValue?.first)
        let publicKey = try IndependentJWS.publicKey(jwk: jwk)
        defer { EVP_PKEY_free(publicKey) }
        // The server's own private key, read from its data directory: a forgery signed with it
        // has a valid signature, so a refusal can only come from the claim being checked.
        let pem = try #require(
            FileManager.default.contents(atPath: server.dataDirectory + "/identity/signing-key.pem"))
        let privateKey = try IndependentJWS.privateKey(pem: Array(pem))
        defer { EVP_PKEY_free(privateKey) }
        func signed(_ changes: [String: JSONValue], header h: JSONValue = header) throws -> String {
            var claims = try #require(payload.objectValue)
            for (k, v) in changes { claims[k] = v }
            return try IndependentJWS.token(header: h, payload: .object(claims)) {
                try IndependentJWS.signRS256($0, key: privateKey)
            }
        }
        let now = Date().timeIntervalSince1970

        // Control: a token we build the same way with honest claims is accepted, so every
        // refusal below is about the one thing that differs.
        let honest = try signed(["jti": .string(UUIDText.random())])
        #expect(try await client.get("/threat_models", bearer: honest).status == 200)

        var noneHeader = try #require(header.objectValue)
        noneHeader["alg"] = "none"
        var hsHeader = noneHeader
        hsHeader["alg"] = "HS256"
        let publicPEM = try IndependentJWS.publicKeyPEM(publicKey)
        var sub = try #require(payload.objectValue)
        sub["sub"] = "someone-else"
        let forged: [(String, String)] = [
            (
                "alg none",
                IndependentJWS.encode(.object(noneHeader)) + "." + IndependentJWS.encode(payload) + "."
            ),
            (
                "alg none with the real signature",
                IndependentJWS.encode(.object(noneHeader)) + "." + IndependentJWS.encode(payload) + "."
                    + IndependentJWS.encode(signature)
            ),
            (
                "HS256 keyed with the RSA public key",
                try IndependentJWS.token(header: .object(hsHeader), payload: payload) {
                    try IndependentJWS.hmacSHA256(key: publicPEM, $0)
                }
            ),
            (
                "HS256 keyed with the JWK modulus",
                try IndependentJWS.token(header: .object(hsHeader), payload: payload) {
                    try IndependentJWS.hmacSHA256(
                        key: IndependentJWS.decode(jwk["n"]?.stringValue ?? "") ?? [], $0)
                }
            ),
            (
                "tampered payload",
                String(tokens.access.split(separator: ".")[0]) + "." + IndependentJWS.encode(.object(sub))
                    + "."
                    + IndependentJWS.encode(signature)
            ),
            ("wrong issuer", try signed(["iss": "http://evil.example"])),
            ("wrong audience", try signed(["aud": "http://other.example"])),
            ("audience list without us", try signed(["aud": ["http://other.example"]])),
            (
                "expired",
                try signed([
                    "iat": .number(now - 7200), "nbf": .number(now - 7200), "exp": .number(now - 3600),
                ])
            ),
            ("not yet valid", try signed(["nbf": .number(now + 3600), "exp": .number(now + 7200)])),
            ("no exp", try signed(["exp": .null])),
            (
                "other kid",
                try signed([:], header: ["alg": "RS256", "typ": "JWT", "kid": "someone-elses-key"])
            ),
            ("two parts", String(tokens.access.split(separator: ".").prefix(2).joined(separator: "."))),
            ("garbage", "not.a.jwt"),
        ]
        for (what, token) in forged {
            let reply = try await client.get("/threat_models", bearer: token)
            #expect(reply.status == 401, "\(what)")
            #expect(reply.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true, "\(what)")
            #expect(try await client.userinfo(token).status == 401, "\(what)")
        }

        // Revoked: the genuine token, once revoked, is refused the same way.
        #expect(try await client.post("/oauth2/revoke", json: [:], bearer: tokens.access).status == 204)
        let revoked = try await client.get("/threat_models", bearer: tokens.access)
        #expect(revoked.status == 401)
        #expect(revoked.headers["WWW-Authenticate"]?.contains("invalid_token") == true)
        await server.stop()
    }
}
