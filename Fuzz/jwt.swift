// libFuzzer target: access-token verification (JWTCodec.verify: split, base64url, header JSON,
// algorithm and kid rules, signature, claims, validity window) with HS256 and RS256 keys.
// Control byte bit 0 picks the key; bit 1 picks the input's form:
// - raw: the input is the token text, as an attacker would send it;
// - signed: the input is `header JSON \0 payload JSON`, signed with our key, so the fuzzer gets past
//   the signature into claim parsing (the code only a valid signer reaches).
// Checks: never crash; a token that verifies, re-signed from its claims, verifies to the same claims.
import WireProtocol

@testable import Identity

private let hmacCodec = JWTCodec(
    key: .hmac(Array("fuzz-secret-fuzz-secret-fuzz-secret!".utf8), kid: "k1"), issuer: "http://tmi.test",
    audience: "tmi", leeway: 30)
// Generated once per process: the RSA path is the default algorithm of the server.
private let rsaCodec: JWTCodec? = (try? RSAKey.generate(bits: 2048)).map {
    JWTCodec(key: .rsa($0, kid: "r1"), issuer: "http://tmi.test", audience: "tmi", leeway: 30)
}

private func signed(_ header: ArraySlice<UInt8>, _ payload: ArraySlice<UInt8>, codec: JWTCodec) -> String? {
    let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
    let signature: [UInt8]
    switch codec.key {
    case .hmac(let secret, _):
        guard let s = try? CryptoPrimitives.hmacSHA256(key: secret, message: Array(input.utf8)) else {
            return nil
        }
        signature = s
    case .rsa(let rsa, _):
        guard let s = try? rsa.sign(Array(input.utf8)) else { return nil }
        signature = s
    }
    return input + "." + Base64URL.encode(signature)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard let codec = control & 1 == 0 ? hmacCodec : rsaCodec else { fatalError("RSA key generation failed") }
    let token: String
    if control & 2 == 0 {
        token = String(decoding: bytes, as: UTF8.self)
    } else {
        let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
        let payload = split < bytes.endIndex ? bytes[(split + 1)...] : []
        guard let t = signed(bytes[..<split], payload, codec: codec) else { return 0 }
        token = t
    }
    let now: Int64 = 1_800_000_000
    guard let claims = try? codec.verify(token, now: now) else { return 0 }
    do {
        let again = try codec.verify(try codec.sign(claims), now: now)
        guard again == claims else { fatalError("re-signed claims verify differently") }
    } catch {
        fatalError("re-signed claims do not verify: \(error)")
    }
    return 0
}
