import CollabCore
import WireProtocol

/// The one algorithm this server signs and accepts access tokens with.
public enum SigningAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256"
    case hs256 = "HS256"
}

/// Key material for exactly one algorithm.
enum SigningKey: Sendable {
    case rsa(RSAKey, kid: String)
    case hmac([UInt8], kid: String)

    var algorithm: SigningAlgorithm {
        switch self {
        case .rsa: .rs256
        case .hmac: .hs256
        }
    }

    var kid: String {
        switch self {
        case .rsa(_, let kid), .hmac(_, let kid): kid
        }
    }
}

/// Compact-serialized JWS (RFC 7515 §7.1) access tokens: signing and verification.
///
/// Verification accepts only the configured algorithm. That single rule closes the classic
/// holes: `alg: none` (RFC 8725 §2.1), and "HS256 signed with the RSA public key as the secret"
/// (algorithm confusion, RFC 8725 §3.1), because the algorithm is never taken from the token.
struct JWTCodec: Sendable {
    let key: SigningKey
    let issuer: String
    let audience: String
    /// Clock skew tolerated on `exp` and `nbf` (RFC 7519 §4.1.4: "some small leeway").
    let leeway: Int64

    /// Longer tokens are refused before any decoding work.
    static let maxTokenLength = 8192

    func sign(_ claims: AccessTokenClaims) throws(CryptoError) -> String {
        let header: JSONValue = [
            "alg": .string(key.algorithm.rawValue), "typ": "JWT", "kid": .string(key.kid),
        ]
        let signingInput =
            Base64URL.encode(header.serialized(sortedKeys: true)) + "."
            + Base64URL.encode(claims.json.serialized(sortedKeys: true))
        let signature: [UInt8]
        switch key {
        case .rsa(let rsa, _): signature = try rsa.sign(Array(signingInput.utf8))
        case .hmac(let secret, _):
            signature = try CryptoPrimitives.hmacSHA256(key: secret, message: Array(signingInput.utf8))
        }
        return signingInput + "." + Base64URL.encode(signature)
    }

    /// The claims of `token` if it is well formed, signed by our key with our algorithm, from our
    /// issuer for our audience, and within its validity window at `now`. Revocation is the
    /// caller's check (it needs the revocation list).
    func verify(_ token: String, now: Int64) throws(JWTRejection) -> AccessTokenClaims {
        guard token.utf8.count <= Self.maxTokenLength else { throw .malformed("too long") }
        // Split on the bytes: a token is ASCII, and Character-wise splitting of ~800 bytes per
        // request was the largest cost of an authenticated read (benchmarks/rest.md).
        let bytes = Array(token.utf8)
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        // RFC 7515 §7.1: exactly three parts. (A JWE has five; we issue none.)
        guard parts.count == 3 else { throw .malformed("expected three dot-separated parts") }
        guard let headerBytes = Base64URL.decode(bytes: parts[0]),
            case .object(let header)? = try? JSONValue.parse(headerBytes)
        else { throw .malformed("the header is not base64url JSON") }
        guard let alg = header["alg"]?.stringValue else { throw .malformed("the header has no alg") }
        guard alg == key.algorithm.rawValue else { throw .algorithmNotAllowed(alg) }
        // RFC 7515 §4.1.11: a `crit` extension we do not understand makes the JWS invalid.
        if header["crit"] != nil { throw .malformed("unsupported critical header parameters") }
        if let kid = header["kid"], kid != .string(key.kid) { throw .badSignature }
        guard let signature = Base64URL.decode(bytes: parts[2]), !signature.isEmpty else {
            throw .malformed("the signature is not base64url")
        }
        // The signing input is everything before the second dot.
        let signingInput = Array(bytes[..<parts[1].endIndex])
        guard verifySignature(signature, over: signingInput) else { throw .badSignature }
        // Only now, with the signature checked, is the payload trusted enough to parse.
        guard let payloadBytes = Base64URL.decode(bytes: parts[1]),
            let payload = try? JSONValue.parse(payloadBytes)
        else {
            throw .malformed("the payload is not base64url JSON")
        }
        let claims = try AccessTokenClaims(payload: payload, expectedAudience: audience)
        guard claims.issuer == issuer else { throw .wrongIssuer }
        try checkValidityWindow(claims, now: now)
        return claims
    }

    /// RFC 7519 §4.1.4 / §4.1.5: reject at or after exp, and before nbf, give or take leeway.
    /// Separate from `verify` because a cached verification must still pass it at every use.
    func checkValidityWindow(_ claims: AccessTokenClaims, now: Int64) throws(JWTRejection) {
        guard now < claims.expiresAt + leeway else { throw .expired }
        guard now + leeway >= claims.notBefore else { throw .notYetValid }
    }

    private func verifySignature(_ signature: [UInt8], over input: [UInt8]) -> Bool {
        switch key {
        case .rsa(let rsa, _):
            return rsa.verify(signature: signature, message: input)
        case .hmac(let secret, _):
            guard let expected = try? CryptoPrimitives.hmacSHA256(key: secret, message: input) else {
                return false
            }
            return CryptoPrimitives.constantTimeEqual(expected, signature)
        }
    }
}
