import COpenSSL
import WireProtocol

/// An RSA key pair for RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over OpenSSL 3's
/// EVP API.
///
/// `@unchecked Sendable`: the wrapped `EVP_PKEY` is never mutated after construction, and
/// OpenSSL 3 allows concurrent sign/verify on one key as long as each operation uses its own
/// `EVP_MD_CTX`, which every method here creates and frees locally.
final class RSAKey: @unchecked Sendable {
    /// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used with these algorithms."
    static let minimumBits: Int32 = 2048

    private let key: OpaquePointer

    private init(owning key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    /// A fresh key pair (public exponent 65537, OpenSSL's default).
    static func generate(bits: Int32 = 2048) throws(CryptoError) -> RSAKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw CryptoError("EVP_PKEY_CTX_new_from_name(RSA)")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw CryptoError("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1 else {
            throw CryptoError("EVP_PKEY_CTX_set_rsa_keygen_bits")
        }
        var generated: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &generated) == 1, let generated else {
            throw CryptoError("EVP_PKEY_generate")
        }
        return RSAKey(owning: generated)
    }

    /// Loads a PEM private key (PKCS#8 or traditional). Anything but RSA of at least 2048 bits is
    /// refused, so a swapped or truncated key file fails at start-up, not at the first login.
    convenience init(privateKeyPEM pem: [UInt8]) throws(CryptoError) {
        let parsed: OpaquePointer? = pem.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else { throw CryptoError("PEM_read_bio_PrivateKey") }
        guard EVP_PKEY_is_a(parsed, "RSA") == 1, EVP_PKEY_get_bits(parsed) >= Self.minimumBits else {
            EVP_PKEY_free(parsed)
            throw CryptoError("signing key is not an RSA key of at least 2048 bits")
        }
        self.init(owning: parsed)
    }

    var bits: Int { Int(EVP_PKEY_get_bits(key)) }

    /// The private key as unencrypted PKCS#8 PEM (file mode 0600 keeps it private).
    func privateKeyPEM() throws(CryptoError) -> [UInt8] {
        try Self.writeToMemory("PEM_write_bio_PrivateKey") { bio in
            PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil)
        }
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    func publicKeyPEM() throws(CryptoError) -> [UInt8] {
        try Self.writeToMemory("PEM_write_bio_PUBKEY") { bio in PEM_write_bio_PUBKEY(bio, key) }
    }

    /// RSASSA-PKCS1-v1_5 signature with SHA-256 (RFC 8017 §8.2).
    func sign(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw CryptoError("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            throw CryptoError("EVP_DigestSignInit")
        }
        var length = 0
        let sized = message.withUnsafeBytes { m in
            EVP_DigestSign(ctx, nil, &length, m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count)
        }
        guard sized == 1 else { throw CryptoError("EVP_DigestSign(size)") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = message.withUnsafeBytes { m in
            EVP_DigestSign(
                ctx, &signature, &length, m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count)
        }
        guard signed == 1 else { throw CryptoError("EVP_DigestSign") }
        return Array(signature.prefix(length))
    }

    /// True only for a valid RS256 signature of `message` by this key.
    func verify(signature: [UInt8], message: [UInt8]) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(ctx)
            // A failed verification leaves entries on the thread's error queue; drop them.
            ERR_clear_error()
        }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
        let result = signature.withUnsafeBytes { s in
            message.withUnsafeBytes { m in
                EVP_DigestVerify(
                    ctx, s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count)
            }
        }
        return result == 1
    }

    /// The modulus `n`, big-endian without leading zeros (RFC 7518 §6.3.1.1).
    func modulus() throws(CryptoError) -> [UInt8] { try bigNumberParameter(OSSL_PKEY_PARAM_RSA_N) }

    /// The public exponent `e`, big-endian without leading zeros (RFC 7518 §6.3.1.2).
    func publicExponent() throws(CryptoError) -> [UInt8] { try bigNumberParameter(OSSL_PKEY_PARAM_RSA_E) }

    private func bigNumberParameter(_ name: String) throws(CryptoError) -> [UInt8] {
        var number: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else {
            throw CryptoError("EVP_PKEY_get_bn_param(\(name))")
        }
        defer { BN_free(number) }
        var bytes = [UInt8](repeating: 0, count: (Int(BN_num_bits(number)) + 7) / 8)
        let written = BN_bn2bin(number, &bytes)
        return Array(bytes.prefix(Int(written)))
    }

    private static func writeToMemory(_ operation: String, _ write: (OpaquePointer) -> Int32)
        throws(CryptoError) -> [UInt8]
    {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw CryptoError(operation) }
        let pending = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = BIO_read(bio, &bytes, Int32(pending))
        guard read == Int32(pending) else { throw CryptoError("BIO_read") }
        return bytes
    }
}
