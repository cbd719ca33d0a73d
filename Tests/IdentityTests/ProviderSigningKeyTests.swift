import COpenSSL
import CollabCore
import Testing

@testable import Identity

/// Keys of a provider's JWKS rebuilt with OpenSSL and used to verify ID-token signatures:
/// RS256 and ES256 only, each key only with its own algorithm.
@Suite struct ProviderSigningKeyTests {
    @Test func anRSAJWKVerifiesRS256AndNothingElse() throws {
        let rsa = try RSAKey.generate()
        let jwk = try JSONWebKey(rsa).json(kid: "k1")
        let key = try #require(ProviderSigningKey.from(jwk: jwk))
        #expect(key.kid == "k1" && key.type == .rsa)
        let message = Array("header.payload".utf8)
        let signature = try rsa.sign(message)
        #expect(key.verify(algorithm: "RS256", signature: signature, message: message))
        #expect(!key.verify(algorithm: "RS256", signature: signature, message: Array("header.payloaD".utf8)))
        #expect(!key.verify(algorithm: "ES256", signature: signature, message: message))
        #expect(!key.verify(algorithm: "HS256", signature: signature, message: message))
    }

    @Test func anECJWKVerifiesES256() throws {
        let ec = try TestECKey()
        let key = try #require(ProviderSigningKey.from(jwk: ec.jwk(kid: "e1")))
        #expect(key.type == .ec && key.jwsAlgorithm == "ES256")
        let message = Array("header.payload".utf8)
        let signature = try ec.sign(message)
        #expect(signature.count == 64)
        #expect(key.verify(algorithm: "ES256", signature: signature, message: message))
        var flipped = signature
        flipped[10] ^= 0x01
        #expect(!key.verify(algorithm: "ES256", signature: flipped, message: message))
        #expect(!key.verify(algorithm: "RS256", signature: signature, message: message))
    }

    @Test func keysWeDoNotUseAreSkipped() throws {
        let rsa = try JSONWebKey(try RSAKey.generate()).json(kid: "k")
        guard case .object(var fields) = rsa else { return }
        fields["use"] = "enc"
        #expect(ProviderSigningKey.from(jwk: .object(fields)) == nil)
        fields["use"] = nil
        fields["alg"] = "PS256"
        #expect(ProviderSigningKey.from(jwk: .object(fields)) == nil)
        #expect(ProviderSigningKey.from(jwk: ["kty": "oct", "k": "AAAA"]) == nil)
        // A point that is not on P-256 is refused by OpenSSL, not used.
        let bogus = Base64URL.encode([UInt8](repeating: 7, count: 32))
        #expect(
            ProviderSigningKey.from(jwk: [
                "kty": "EC", "crv": "P-256", "x": .string(bogus), "y": .string(bogus),
            ]) == nil)
        let small = try JSONWebKey(try RSAKey.generate(bits: 1024)).json(kid: "small")
        #expect(ProviderSigningKey.from(jwk: small) == nil)
    }

    @Test func derEncodingKeepsIntegersPositiveAndMinimal() {
        let der = ProviderSigningKey.derSignature(
            r: [0x00, 0x00, 0x80] + [UInt8](repeating: 1, count: 29),
            s: [0x01] + [UInt8](repeating: 0, count: 31))
        #expect(der[0] == 0x30)
        #expect(Array(der[2...4]) == [0x02, 31, 0x00])  // leading zeros dropped, 0x00 before 0x80
        #expect(der.count == 2 + 2 + 31 + 2 + 32)
    }
}
