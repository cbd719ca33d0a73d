import COpenSSL
import FoundationEssentials

/// Pieces of the opening handshake (RFC 6455 §4) shared by server and client.
enum WebSocketHandshake {
    /// §1.3: the GUID appended to the key before hashing.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    static let version = "13"

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)) (§4.2.2 point 5.4).
    static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { inBuf in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(inBuf.baseAddress, inBuf.count, out.baseAddress, &length, EVP_sha1(), nil)
            }
        }
        // EVP_Digest with SHA-1 only fails on allocation failure; an empty accept value then
        // makes the peer refuse the handshake rather than crash us.
        guard ok == 1 else { return "" }
        return Data(digest.prefix(Int(length))).base64EncodedString()
    }

    /// §4.2.1 point 5: the key must be base64 of exactly 16 bytes.
    static func isValidKey(_ key: String) -> Bool {
        guard key.utf8.count == 24, let raw = Data(base64Encoded: key) else { return false }
        return raw.count == 16
    }

    /// A fresh random client key (§4.1: a nonce of 16 random bytes, base64-encoded).
    static func makeKey() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
    }

    /// Comma-separated tokens over every field with this name, trimmed (RFC 9110 §5.6.1).
    static func tokens(_ headers: HTTPHeaders, _ name: String) -> [String] {
        headers.values(name).flatMap { $0.split(separator: ",") }.map { trim($0) }.filter { !$0.isEmpty }
    }

    /// Strips optional whitespace (spaces and tabs) around a field value element.
    static func trim(_ s: some StringProtocol) -> String {
        var sub = Substring(s)
        while let f = sub.first, f == " " || f == "\t" { sub = sub.dropFirst() }
        while let l = sub.last, l == " " || l == "\t" { sub = sub.dropLast() }
        return String(sub)
    }

    static func hasToken(_ headers: HTTPHeaders, _ name: String, _ token: String) -> Bool {
        tokens(headers, name).contains { $0.equalsIgnoringASCIICase(token) }
    }
}
