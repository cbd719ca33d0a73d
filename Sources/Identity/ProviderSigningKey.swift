import COpenSSL
import CollabCore

/// One public key of a login provider's JWK Set (RFC 7517), ready to verify ID-token
/// signatures: RSA for RS256 (RFC 7518 §3.3) or EC P-256 for ES256 (§3.4).
///
/// `@unchecked Sendable`: the wrapped `EVP_PKEY` is built once and never mutated; each
/// verification uses its own `EVP_MD_CTX`, which OpenSSL 3 allows concurrently on one key.
final class ProviderSigningKey: @unchecked Sendable {
    enum KeyType: String, Sendable { case rsa = "RSA", ec = "EC" }

    let kid: String?
    let type: KeyType
    /// The JWK's `alg`, when it pins one.
    let algorithm: String?
    private let key: OpaquePointer

    private init(kid: String?, type: KeyType, algorithm: String?, key: OpaquePointer) {
        self.kid = kid
        self.type = type
        self.algorithm = algorithm
        self.key = key
    }

    deinit { EVP_PKEY_free(key) }

    /// The JWS `alg` this key verifies.
    var jwsAlgorithm: String { type == .rsa ? "RS256" : "ES256" }

    /// A key from one JWK, or nil for a key we do not use (other types or curves, `use: enc`,
    /// an `alg` other than RS256/ES256, RSA under 2048 bits): skipped, not an error, because a
    /// provider's set may legitimately hold keys for other purposes.
    static func from(jwk: JSONValue) -> ProviderSigningKey? {
        guard case .object(let fields) = jwk, let kty = fields["kty"]?.stringValue else { return nil }
        if let use = fields["use"]?.stringValue, use != "sig" { return nil }
        let alg = fields["alg"]?.stringValue
        let kid = fields["kid"]?.stringValue
        switch kty {
        case "RSA":
            guard alg == nil || alg == "RS256",
                let n = fields["n"]?.stringValue.flatMap({ Base64URL.decode($0) }),
                let e = fields["e"]?.stringValue.flatMap({ Base64URL.decode($0) }),
                let key = rsa(modulus: n, exponent: e), EVP_PKEY_get_bits(key) >= RSAKey.minimumBits
            else { return nil }
            return ProviderSigningKey(kid: kid, type: .rsa, algorithm: alg, key: key)
        case "EC":
            guard alg == nil || alg == "ES256", fields["crv"]?.stringValue == "P-256",
                let x = fields["x"]?.stringValue.flatMap({ Base64URL.decode($0) }), x.count == 32,
                let y = fields["y"]?.stringValue.flatMap({ Base64URL.decode($0) }), y.count == 32,
                let key = p256(point: [0x04] + x + y)
            else { return nil }
            return ProviderSigningKey(kid: kid, type: .ec, algorithm: alg, key: key)
        default:
            return nil
        }
    }

    /// Whether `signature` is a valid `algorithm` signature of `message` under this key. ES256
    /// signatures are JWS's fixed 64-byte `r || s` (RFC 7518 §3.4), which OpenSSL wants as DER.
    func verify(algorithm: String, signature: [UInt8], message: [UInt8]) -> Bool {
        guard algorithm == jwsAlgorithm else { return false }
        let encoded: [UInt8]
        switch type {
        case .rsa: encoded = signature
        case .ec:
            guard signature.count == 64 else { return false }
            encoded = Self.derSignature(r: Array(signature[0..<32]), s: Array(signature[32..<64]))
        }
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let result = encoded.withUnsafeBytes { s in
            message.withUnsafeBytes { m in
                EVP_DigestVerify(
                    ctx, s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count)
            }
        }
        ERR_clear_error()
        return result == 1
    }

    /// DER `SEQUENCE { INTEGER r, INTEGER s }` (RFC 3279 §2.2.3) from unsigned big-endian halves.
    static func derSignature(r: [UInt8], s: [UInt8]) -> [UInt8] {
        func integer(_ bytes: [UInt8]) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(r) + integer(s)
        return [0x30, UInt8(body.count)] + body
    }

    /// `EVP_PKEY_PUBLIC_KEY`: key parameters plus the public key (a compound C macro).
    private static let publicKeySelection: Int32 = 0x86

    private static func rsa(modulus: [UInt8], exponent: [UInt8]) -> OpaquePointer? {
        guard let n = BN_bin2bn(modulus, Int32(modulus.count), nil) else { return nil }
        defer { BN_free(n) }
        guard let e = BN_bin2bn(exponent, Int32(exponent.count), nil) else { return nil }
        defer { BN_free(e) }
        return fromData(type: "RSA") { builder in
            guard OSSL_PARAM_BLD_push_BN(builder, cString("n"), n) == 1,
                OSSL_PARAM_BLD_push_BN(builder, cString("e"), e) == 1
            else { return nil }
            return OSSL_PARAM_BLD_to_param(builder)
        }
    }

    private static func p256(point: [UInt8]) -> OpaquePointer? {
        fromData(type: "EC") { builder in
            point.withUnsafeBytes { bytes in
                guard
                    OSSL_PARAM_BLD_push_utf8_string(builder, cString("group"), cString("prime256v1"), 0) == 1,
                    OSSL_PARAM_BLD_push_octet_string(builder, cString("pub"), bytes.baseAddress, bytes.count)
                        == 1
                else { return nil }
                // The builder refers to the point until here, where it copies everything.
                return OSSL_PARAM_BLD_to_param(builder)
            }
        }
    }

    /// The builder keeps names and values by reference until `OSSL_PARAM_BLD_to_param`, so
    /// they must outlive the pushes: static strings (OSSL_PKEY_PARAM_RSA_N is "n", _RSA_E "e",
    /// _GROUP_NAME "group", _PUB_KEY "pub"), never bridged temporaries.
    private static func cString(_ s: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// `EVP_PKEY_fromdata` over the parameters `build` makes (OpenSSL 3 provider API). OpenSSL
    /// checks an EC point lies on the curve here, so an invalid-curve key never gets this far.
    private static func fromData(type: String, _ build: (OpaquePointer) -> UnsafeMutablePointer<OSSL_PARAM>?)
        -> OpaquePointer?
    {
        defer { ERR_clear_error() }
        guard let builder = OSSL_PARAM_BLD_new() else { return nil }
        defer { OSSL_PARAM_BLD_free(builder) }
        guard let params = build(builder) else { return nil }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, type, nil) else { return nil }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1,
            EVP_PKEY_fromdata(ctx, &key, publicKeySelection, params) == 1
        else { return nil }
        return key
    }
}
