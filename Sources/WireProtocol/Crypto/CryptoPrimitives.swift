import COpenSSL

/// A failure inside OpenSSL: `operation` names the call, `detail` is OpenSSL's error queue text.
/// Never shown to clients (the error middleware turns it into a bare 500).
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var detail: String

    /// Takes (and clears) OpenSSL's error queue of this thread as the detail.
    public init(_ operation: String) {
        self.operation = operation
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(
                String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.detail = messages.joined(separator: "; ")
    }

    public var description: String { "\(operation) failed: \(detail.isEmpty ? "no OpenSSL detail" : detail)" }
}

/// Hashes, MACs, key derivation and random bytes over OpenSSL's one-shot APIs: the one copy the
/// identity service (JWTs, PKCE, refresh tokens), the cluster's relay signatures and the
/// PostgreSQL client's SCRAM and md5 authentication all use.
public enum CryptoPrimitives {
    static let sha256Length = 32

    /// SHA-256 (FIPS 180-4) of `bytes`.
    public static func sha256(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        try digest(bytes, EVP_sha256(), length: sha256Length, name: "EVP_Digest(SHA-256)")
    }

    public static func sha256(_ text: String) throws(CryptoError) -> [UInt8] { try sha256(Array(text.utf8)) }

    /// MD5 (RFC 1321): only for PostgreSQL's legacy `md5` password exchange, never for anything
    /// that must resist collisions.
    public static func md5(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        try digest(bytes, EVP_md5(), length: 16, name: "EVP_Digest(MD5)")
    }

    /// HMAC-SHA-256 (RFC 2104) of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var mac = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                HMAC(
                    EVP_sha256(), k.baseAddress, Int32(k.count),
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    m.count, &mac, &length)
            }
        }
        guard result != nil && length == 32 else { throw CryptoError("HMAC(SHA-256)") }
        return mac
    }

    /// PBKDF2-HMAC-SHA-256 (RFC 8018 §5.2), `length` bytes; SCRAM's `Hi()` with 32.
    public static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int, length: Int = 32)
        throws(CryptoError) -> [UInt8]
    {
        var out = [UInt8](repeating: 0, count: length)
        // A trailing NUL keeps the buffer non-empty (an empty password still has an address);
        // the length passed excludes it.
        let padded = password + [0]
        let ok = padded.withUnsafeBytes { p in
            salt.withUnsafeBytes { s in
                PKCS5_PBKDF2_HMAC(
                    p.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(password.count),
                    s.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(s.count),
                    Int32(clamping: iterations), EVP_sha256(), Int32(length), &out)
            }
        }
        guard ok == 1 else { throw CryptoError("PKCS5_PBKDF2_HMAC(SHA-256)") }
        return out
    }

    /// Compares in time that depends only on the lengths, so an attacker timing responses learns
    /// nothing about how many leading bytes of a forged MAC or hash were right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// Bytes from OpenSSL's CSPRNG (seeded from the OS), for keys, tokens, codes, states, nonces.
    public static func randomBytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw CryptoError("RAND_bytes") }
        return bytes
    }

    /// Lowercase hexadecimal, two digits a byte.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func digest(_ bytes: [UInt8], _ type: OpaquePointer?, length expected: Int, name: String)
        throws(CryptoError) -> [UInt8]
    {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, type, nil)
        }
        guard ok == 1 && Int(length) == expected else { throw CryptoError(name) }
        return Array(digest.prefix(expected))
    }
}
