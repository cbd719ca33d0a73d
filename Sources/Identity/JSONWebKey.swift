import CollabCore
import WireProtocol

/// The public half of our RS256 signing key as a JSON Web Key (RFC 7517 §4, RFC 7518 §6.3).
struct JSONWebKey: Sendable, Equatable {
    var modulus: [UInt8]
    var exponent: [UInt8]

    init(modulus: [UInt8], exponent: [UInt8]) {
        self.modulus = modulus
        self.exponent = exponent
    }

    init(_ key: RSAKey) throws(CryptoError) {
        self.init(modulus: try key.modulus(), exponent: try key.publicExponent())
    }

    /// RFC 7638 §3: the SHA-256 of the required members (`e`, `kty`, `n`) in lexicographic order,
    /// serialized with no whitespace, base64url-encoded. Stable for a key, so it makes a `kid`
    /// that changes exactly when the key does.
    func thumbprint() throws(CryptoError) -> String {
        let canonical =
            "{\"e\":\"\(Base64URL.encode(exponent))\",\"kty\":\"RSA\",\"n\":\"\(Base64URL.encode(modulus))\"}"
        return Base64URL.encode(try CryptoPrimitives.sha256(canonical))
    }

    /// The JWK object published in the JWKS.
    func json(kid: String) -> JSONValue {
        [
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": .string(kid),
            "n": .string(Base64URL.encode(modulus)),
            "e": .string(Base64URL.encode(exponent)),
        ]
    }
}
