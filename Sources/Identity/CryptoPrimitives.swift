import COpenSSL

/// A failure inside OpenSSL: `operation` names the call, `detail` is OpenSSL's error queue text.
/// Never shown to clients (the error middleware turns it into a bare 500).
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var detail: String

    init(_ operation: String) {
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

/// Hashes, MACs and random bytes over OpenSSL's one-shot APIs.
public enum CryptoPrimitives {
    static let sha256Length = 32

    /// SHA-256 (FIPS 180-4) of `bytes`.
    static func sha256(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: sha256Length)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
        }
        guard ok == 1 && length == 32 else { throw CryptoError("EVP_Digest(SHA-256)") }
        return digest
    }

    static func sha256(_ text: String) throws(CryptoError) -> [UInt8] { try sha256(Array(text.utf8)) }

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

    /// Compares in time that depends only on the lengths, so an attacker timing responses learns
    /// nothing about how many leading bytes of a forged MAC or hash were right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// Bytes from OpenSSL's CSPRNG (seeded from the OS), for keys, tokens, codes and states.
    static func randomBytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw CryptoError("RAND_bytes") }
        return bytes
    }

    /// A random, URL-safe token carrying `byteCount * 8` bits of entropy.
    static func randomToken(byteCount: Int = 32) throws(CryptoError) -> String {
        Base64URL.encode(try randomBytes(byteCount))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
