import CollabCore
import WireProtocol

/// The checks OIDC Core §3.1.3.7 asks of a client receiving an ID token, over keys from the
/// provider's JWK Set: signature (RS256 or ES256 only, the algorithm also matching the key's
/// type so a key can never be used with an algorithm it was not published for), `iss`, `aud`
/// (and `azp` when there are several audiences), `exp`/`nbf`/`iat` with a small skew, `nonce`.
struct IDTokenVerifier: Sendable {
    /// What the provider is expected to have put in the token.
    struct Expectations: Sendable {
        var issuer: String
        var clientID: String
        /// The nonce sent with the authorization request; nil when the login did not start here.
        var nonce: String?
        var now: Int64
        var skew: Int64
    }

    /// The parts of a compact JWS, decoded but not yet trusted.
    struct Parsed: Sendable {
        var algorithm: String
        var kid: String?
        var claims: [String: JSONValue]
        var signingInput: [UInt8]
        var signature: [UInt8]
    }

    static let algorithms: Set<String> = ["RS256", "ES256"]

    /// Splits and decodes `token`; refuses anything but RS256/ES256 before any key is looked up.
    static func parse(_ token: String) throws(ProviderRejection) -> Parsed {
        guard token.utf8.count <= 64 * 1024 else { throw .invalidIDToken("the ID token is too large") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]),
            let payloadBytes = Base64URL.decode(parts[1]), let signature = Base64URL.decode(parts[2]),
            case .object(let header)? = try? JSONValue.parse(headerBytes),
            case .object(let claims)? = try? JSONValue.parse(payloadBytes)
        else { throw .invalidIDToken("the ID token is not a well-formed JWS") }
        guard let alg = header["alg"]?.stringValue, algorithms.contains(alg) else {
            throw .invalidIDToken(
                "the ID token algorithm '\((header["alg"]?.stringValue ?? "none").prefix(20))' is not accepted"
            )
        }
        if header["crit"] != nil { throw .invalidIDToken("the ID token has critical header parameters") }
        return Parsed(
            algorithm: alg, kid: header["kid"]?.stringValue, claims: claims,
            signingInput: Array((parts[0] + "." + parts[1]).utf8), signature: signature)
    }

    /// The key in `keys` that should have signed `token`: the one with its `kid` (and a type
    /// matching its `alg`), or without a `kid` the only key of that type.
    static func key(for token: Parsed, in keys: [ProviderSigningKey]) -> ProviderSigningKey? {
        let usable = keys.filter {
            $0.jwsAlgorithm == token.algorithm && ($0.algorithm ?? token.algorithm) == token.algorithm
        }
        if let kid = token.kid { return usable.first { $0.kid == kid } }
        return usable.count == 1 ? usable[0] : nil
    }

    /// Verifies signature and claims; returns the claims.
    static func verify(_ token: Parsed, key: ProviderSigningKey, expecting e: Expectations)
        throws(ProviderRejection) -> [String: JSONValue]
    {
        guard key.verify(algorithm: token.algorithm, signature: token.signature, message: token.signingInput)
        else {
            throw .invalidIDToken("the ID token signature does not verify against the provider's key")
        }
        let claims = token.claims
        guard let issuer = claims["iss"]?.stringValue else {
            throw .invalidIDToken("the ID token has no 'iss'")
        }
        var expectedIssuer = e.issuer
        if expectedIssuer.contains("{tenantid}"), let tid = claims["tid"]?.stringValue {
            expectedIssuer = expectedIssuer.replacing("{tenantid}", with: tid)
        }
        guard issuer == expectedIssuer else {
            throw .invalidIDToken(
                "the ID token issuer '\(issuer.prefix(100))' is not '\(expectedIssuer.prefix(100))'")
        }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.stringValue)
        default: throw .invalidIDToken("the ID token has no 'aud'")
        }
        guard audiences.contains(e.clientID) else {
            throw .invalidIDToken("the ID token audience does not include this client")
        }
        if audiences.count > 1, let azp = claims["azp"]?.stringValue, azp != e.clientID {
            throw .invalidIDToken("the ID token was issued to another party ('azp')")
        }
        func time(_ name: String) throws(ProviderRejection) -> Int64? {
            guard let value = claims[name] else { return nil }
            guard let number = value.doubleValue, number.isFinite, abs(number) < 1e15 else {
                throw .invalidIDToken("the ID token '\(name)' is not a NumericDate")
            }
            return Int64(number.rounded(.down))
        }
        guard let exp = try time("exp") else { throw .invalidIDToken("the ID token has no 'exp'") }
        guard e.now < exp + e.skew else { throw .invalidIDToken("the ID token has expired") }
        if let nbf = try time("nbf"), e.now + e.skew < nbf {
            throw .invalidIDToken("the ID token is not valid yet")
        }
        if let iat = try time("iat"), e.now + e.skew < iat {
            throw .invalidIDToken("the ID token was issued in the future")
        }
        if let nonce = e.nonce {
            guard let sent = claims["nonce"]?.stringValue,
                CryptoPrimitives.constantTimeEqual(Array(sent.utf8), Array(nonce.utf8))
            else { throw .invalidIDToken("the ID token nonce does not match the login") }
        }
        guard let subject = claims["sub"]?.stringValue, !subject.isEmpty else {
            throw .invalidIDToken("the ID token has no 'sub'")
        }
        return claims
    }
}
