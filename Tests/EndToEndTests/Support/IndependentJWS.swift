import COpenSSL
import CollabCore
import Foundation

/// JWS (RFC 7515) pieces written straight over OpenSSL for the tests, sharing no code with the
/// server's `JWTCodec`/`RSAKey`: so "our token verifies against our JWKS" is checked by a second,
/// independent implementation, and forged tokens are built the way an attacker would.
enum IndependentJWS {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ what: String) {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(ERR_get_error(), &text, text.count)
            description =
                "OpenSSL: \(what) failed: "
                + String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    // MARK: base64url (RFC 7515 §2, RFC 4648 §5, no padding)

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func encode(_ json: JSONValue) -> String { encode(json.serialized()) }

    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    /// The header and payload of a compact JWS, parsed without checking anything.
    static func parts(_ token: String) -> (header: JSONValue, payload: JSONValue, signature: [UInt8])? {
        let p = token.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 3, let h = decode(p[0]), let b = decode(p[1]), let s = decode(p[2]),
            let header = try? JSONValue.parse(h), let payload = try? JSONValue.parse(b)
        else { return nil }
        return (header, payload, s)
    }

    // MARK: RSA keys

    /// An OpenSSL public key rebuilt from a JWK's `n` and `e` (RFC 7518 §6.3.1) with
    /// `EVP_PKEY_fromdata`. The caller frees it with `EVP_PKEY_free`.
    static func publicKey(jwk: JSONValue) throws -> OpaquePointer {
        guard let n = jwk["n"]?.stringValue.flatMap(decode), let e = jwk["e"]?.stringValue.flatMap(decode)
        else {
            throw Failure("reading n/e from the JWK")
        }
        guard let bn = BN_bin2bn(n, Int32(n.count), nil), let be = BN_bin2bn(e, Int32(e.count), nil) else {
            throw Failure("BN_bin2bn")
        }
        defer {
            BN_free(bn)
            BN_free(be)
        }
        guard let builder = OSSL_PARAM_BLD_new() else { throw Failure("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        // The builder keeps the key names by reference until `to_param`: pass static strings.
        guard OSSL_PARAM_BLD_push_BN(builder, Self.cString("n"), bn) == 1,
            OSSL_PARAM_BLD_push_BN(builder, Self.cString("e"), be) == 1,
            let params = OSSL_PARAM_BLD_to_param(builder)
        else { throw Failure("OSSL_PARAM_BLD_push_BN") }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { throw Failure("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer? = nil
        // EVP_PKEY_PUBLIC_KEY = OSSL_KEYMGMT_SELECT_ALL_PARAMETERS | OSSL_KEYMGMT_SELECT_PUBLIC_KEY,
        // a compound macro Swift does not import.
        let publicKeySelection: Int32 = 0x84 | 0x02
        guard EVP_PKEY_fromdata_init(ctx) == 1, EVP_PKEY_fromdata(ctx, &key, publicKeySelection, params) == 1,
            let key
        else { throw Failure("EVP_PKEY_fromdata") }
        return key
    }

    /// A NUL-terminated C string that lives for the whole process.
    static func cString(_ s: StaticString) -> UnsafePointer<CChar> {
        UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    /// A private key from PEM (the server's `identity/signing-key.pem`), to forge tokens whose
    /// signature is right but whose claims are not. The caller frees it.
    static func privateKey(pem: [UInt8]) throws -> OpaquePointer {
        let key = pem.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw Failure("PEM_read_bio_PrivateKey") }
        return key
    }

    /// The SubjectPublicKeyInfo PEM of `key`: the "secret" of the classic HS256/RS256 confusion.
    static func publicKeyPEM(_ key: OpaquePointer) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw Failure("BIO_new") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, key) == 1 else { throw Failure("PEM_write_bio_PUBKEY") }
        var out = [UInt8](repeating: 0, count: 8192)
        let n = BIO_read(bio, &out, Int32(out.count))
        guard n > 0 else { throw Failure("BIO_read") }
        return Array(out[0..<Int(n)])
    }

    // MARK: RS256 / HS256 (RFC 7518 §3.3, §3.2)

    /// RSASSA-PKCS1-v1_5 with SHA-256 over the token's signing input, with `key`.
    static func verifyRS256(_ token: String, key: OpaquePointer) -> Bool {
        let p = token.split(separator: ".", omittingEmptySubsequences: false)
        guard p.count == 3, let signature = decode(p[2]) else { return false }
        let input = Array("\(p[0]).\(p[1])".utf8)
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return EVP_DigestVerify(ctx, signature, signature.count, input, input.count) == 1
    }

    static func signRS256(_ input: [UInt8], key: OpaquePointer) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw Failure("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            throw Failure("EVP_DigestSignInit")
        }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, input, input.count) == 1 else {
            throw Failure("EVP_DigestSign")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &signature, &length, input, input.count) == 1 else {
            throw Failure("EVP_DigestSign")
        }
        return Array(signature[0..<length])
    }

    static func hmacSHA256(key: [UInt8], _ input: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard HMAC(EVP_sha256(), key, Int32(key.count), input, input.count, &out, &length) != nil else {
            throw Failure("HMAC")
        }
        return Array(out[0..<Int(length)])
    }

    /// RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(verifier))).
    static func s256Challenge(_ verifier: String) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let bytes = Array(verifier.utf8)
        _ = SHA256(bytes, bytes.count, &digest)
        return encode(digest)
    }

    /// A compact JWS of `header` and `payload`, signed by `sign` over the signing input.
    static func token(header: JSONValue, payload: JSONValue, sign: ([UInt8]) throws -> [UInt8]) rethrows
        -> String
    {
        let input = encode(header) + "." + encode(payload)
        return input + "." + encode(try sign(Array(input.utf8)))
    }
}
