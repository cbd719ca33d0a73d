import Testing
import WireProtocol

@testable import Identity
@testable import RESTGateway

@Suite struct IdentityCryptoTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func base64URLMatchesRFC4648Vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(plain) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64URLUsesTheURLAlphabetAndRoundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
        #expect(Base64URL.decode(encoded) == bytes)
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }

    /// Padding, the standard alphabet, an impossible length, whitespace, non-zero pad bits.
    @Test(arguments: ["Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9v Yg", "Zh", "Zm9"])
    func base64URLRejectsNonCanonicalInput(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test func sha256MatchesFIPSVector() throws {
        let digest = try CryptoPrimitives.sha256("abc")
        #expect(
            CryptoPrimitives.hex(digest) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
    }

    @Test func hmacSHA256MatchesRFC4231TestCase2() throws {
        let mac = try CryptoPrimitives.hmacSHA256(
            key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(
            CryptoPrimitives.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func constantTimeEqualComparesContentAndLength() {
        #expect(CryptoPrimitives.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!CryptoPrimitives.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!CryptoPrimitives.constantTimeEqual([1, 2, 3], [1, 2]))
    }

    @Test func randomTokensAreDistinctAndURLSafe() throws {
        let a = try CryptoPrimitives.randomToken()
        let b = try CryptoPrimitives.randomToken()
        #expect(a != b)
        #expect(a.utf8.count == 43)
        #expect(Base64URL.decode(a)?.count == 32)
    }

    @Test func rsaKeySignsVerifiesAndSurvivesPEMRoundTrip() throws {
        let key = try RSAKey.generate()
        #expect(key.bits == 2048)
        let message = Array("header.payload".utf8)
        let signature = try key.sign(message)
        #expect(signature.count == 256)
        #expect(key.verify(signature: signature, message: message))
        #expect(!key.verify(signature: signature, message: Array("header.payloaD".utf8)))
        var flipped = signature
        flipped[10] ^= 1
        #expect(!key.verify(signature: flipped, message: message))

        let pem = try key.privateKeyPEM()
        #expect(String(decoding: pem, as: UTF8.self).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try RSAKey(privateKeyPEM: pem)
        #expect(reloaded.verify(signature: signature, message: message))
        #expect(try reloaded.modulus() == key.modulus())
        #expect(try reloaded.publicExponent() == [0x01, 0x00, 0x01])
        #expect(try JSONWebKey(reloaded).thumbprint() == JSONWebKey(key).thumbprint())
    }

    @Test func loadingGarbageOrAShortKeyFails() throws {
        #expect(throws: CryptoError.self) { try RSAKey(privateKeyPEM: Array("not a key".utf8)) }
        let small = try RSAKey.generate(bits: 1024)
        #expect(throws: CryptoError.self) { try RSAKey(privateKeyPEM: small.privateKeyPEM()) }
    }

    /// RFC 7638 §3.1 gives this key and its thumbprint.
    @Test func jwkThumbprintMatchesRFC7638Example() throws {
        let n =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let jwk = JSONWebKey(modulus: try #require(Base64URL.decode(n)), exponent: [1, 0, 1])
        #expect(try jwk.thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        let json = jwk.json(kid: "k1")
        #expect(json["kty"] == "RSA" && json["alg"] == "RS256" && json["use"] == "sig" && json["e"] == "AQAB")
        #expect(json["n"]?.stringValue == n)
    }
}
