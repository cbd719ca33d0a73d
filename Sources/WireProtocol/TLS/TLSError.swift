import COpenSSL

/// Why TLS set-up, a handshake or a record failed. Every case carries the reason in words an
/// operator can act on (OpenSSL's reason string, or for a rejected peer certificate the X509
/// verification result such as "certificate has expired" or "hostname mismatch").
public enum TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A certificate, key or CA file could not be used; the text names the file.
    case configuration(String)
    /// The peer's certificate was rejected; the text is the X509 verification result.
    case verificationFailed(String)
    /// The handshake failed for another reason: no common protocol version, an alert from the
    /// peer, bytes that are not TLS at all.
    case handshakeFailed(String)
    /// A record after the handshake was corrupt, or the peer sent a fatal alert.
    case protocolFailure(String)
    /// The transport ended or timed out during the handshake.
    case stream(StreamError)

    public var description: String {
        switch self {
        case .configuration(let why): "TLS configuration: \(why)"
        case .verificationFailed(let why): "TLS certificate verification failed: \(why)"
        case .handshakeFailed(let why): "TLS handshake failed: \(why)"
        case .protocolFailure(let why): "TLS protocol error: \(why)"
        case .stream(let error): "TLS handshake: connection \(error)"
        }
    }

    /// Empties OpenSSL's (thread-local) error queue into one line; `fallback` if it was empty.
    static func drainErrorQueue(fallback: String) -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            guard code != 0 else { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(
                    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons.isEmpty ? fallback : reasons.joined(separator: "; ")
    }
}
