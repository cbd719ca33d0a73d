import COpenSSL

/// The digests authentication needs, from OpenSSL's libcrypto.
enum PostgresCrypto {
    static func sha256(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_sha256()) }

    static func md5(_ data: [UInt8]) -> [UInt8] { digest(data, EVP_md5()) }

    static func hmacSHA256(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(
                        EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count, o.baseAddress,
                        &length)
                }
            }
        }
        return ok == nil ? [] : Array(out.prefix(Int(length)))
    }

    /// PBKDF2-HMAC-SHA-256 (RFC 8018), the SCRAM `Hi()` function; 32 bytes.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        // A trailing NUL keeps the buffer non-empty (an empty password still has an address);
        // the length passed excludes it.
        let padded = password + [0]
        let ok = padded.withUnsafeBufferPointer { p in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { pc in
                        PKCS5_PBKDF2_HMAC(
                            pc, Int32(password.count), s.baseAddress, Int32(s.count), Int32(iterations),
                            EVP_sha256(),
                            Int32(o.count), o.baseAddress)
                    }
                }
            }
        }
        return ok == 1 ? out : []
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        if ok != 1 {
            // RAND_bytes only fails when the OS entropy source is unavailable; fall back to the
            // system generator rather than sending a predictable nonce.
            var generator = SystemRandomNumberGenerator()
            for i in out.indices { out[i] = UInt8.random(in: 0...255, using: &generator) }
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func digest(_ data: [UInt8], _ type: OpaquePointer?) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
                EVP_Digest(d.baseAddress, d.count, o.baseAddress, &length, type, nil)
            }
        }
        return ok == 1 ? Array(out.prefix(Int(length))) : []
    }

    /// The md5 method's answer: "md5" + md5hex(md5hex(password + user) + salt).
    static func md5Password(user: String, password: String, salt: [UInt8]) -> String {
        let inner = hex(md5(Array(password.utf8) + Array(user.utf8)))
        return "md5" + hex(md5(Array(inner.utf8) + salt))
    }
}
