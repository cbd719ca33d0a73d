import COpenSSL
import CollabCore

@testable import Identity

/// A P-256 key pair generated with OpenSSL, for signing ES256 test tokens the way a provider
/// would: JWS wants the signature as `r || s` (RFC 7518 §3.4), OpenSSL produces DER.
final class TestECKey: @unchecked Sendable {
    // @unchecked: the EVP_PKEY is created once and only read afterwards (sign uses its own ctx).
    struct Failure: Error { var what: String }
    let key: OpaquePointer

    init() throws {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw Failure(what: "ctx") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var generated: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_CTX_set_group_name(ctx, "P-256") == 1,
            EVP_PKEY_generate(ctx, &generated) == 1, let generated
        else { throw Failure(what: "keygen") }
        key = generated
    }

    deinit { EVP_PKEY_free(key) }

    func jwk(kid: String) throws -> JSONValue {
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        guard
            EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, &point, point.count, &length) == 1,
            length == 65
        else { throw Failure(what: "public point") }
        return [
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": .string(kid),
            "x": .string(Base64URL.encode(point[1..<33])), "y": .string(Base64URL.encode(point[33..<65])),
        ]
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw Failure(what: "md ctx") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, key) == 1 else {
            throw Failure(what: "sign init")
        }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, message, message.count) == 1 else {
            throw Failure(what: "size")
        }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &der, &length, message, message.count) == 1 else {
            throw Failure(what: "sign")
        }
        return try Self.raw(Array(der.prefix(length)))
    }

    /// DER `SEQUENCE { INTEGER r, INTEGER s }` -> 32-byte big-endian `r || s`.
    static func raw(_ der: [UInt8]) throws -> [UInt8] {
        var i = 2
        if der[1] & 0x80 != 0 { i += Int(der[1] & 0x7F) }
        func integer() throws -> [UInt8] {
            guard der[i] == 0x02 else { throw Failure(what: "der") }
            let n = Int(der[i + 1])
            let value = Array(der[(i + 2)..<(i + 2 + n)].drop { $0 == 0 })
            i += 2 + n
            guard value.count <= 32 else { throw Failure(what: "der length") }
            return [UInt8](repeating: 0, count: 32 - value.count) + value
        }
        return try integer() + integer()
    }

    /// A compact ES256 JWS of `claims` under `kid`.
    func token(_ claims: JSONValue, kid: String) throws -> String {
        let header: JSONValue = ["alg": "ES256", "typ": "JWT", "kid": .string(kid)]
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        return input + "." + Base64URL.encode(try sign(Array(input.utf8)))
    }
}
