/// Where another node is reached, parsed from its advertise URL (docs/cluster.md): `http://` and
/// `ws://` speak plain HTTP/WebSocket, `https://` and `wss://` TLS (the peer's certificate is
/// verified against `--cluster-ca`, or the system store). The same parser checks this node's own
/// `--advertise-url` at start, so a URL another node could not use is refused there with the
/// reason, not discovered later as a broken relay.
struct PeerEndpoint: Sendable, Hashable {
    var tls: Bool
    /// The host name or address as connected to and verified against the certificate (an IPv6
    /// literal without its brackets).
    var host: String
    var port: Int

    /// Why an advertise URL cannot work, in words for the operator.
    struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        var description: String
    }

    static let schemes: [(prefix: String, tls: Bool, defaultPort: Int)] = [
        ("http://", false, 80), ("ws://", false, 80), ("https://", true, 443), ("wss://", true, 443),
    ]

    /// `scheme://host[:port][/]`: no user info, path, query or fragment (the relay and forward
    /// paths are appended to the authority), a host of letters, digits, `.`, `-` (or a bracketed
    /// IPv6 literal), a port 1–65535.
    static func parse(_ url: String) throws(Invalid) -> PeerEndpoint {
        let lower = url.lowercased()
        guard let scheme = schemes.first(where: { lower.hasPrefix($0.prefix) }) else {
            throw Invalid(description: "expected http://, https://, ws:// or wss://HOST[:PORT]")
        }
        guard url.utf8.count <= 512 else { throw Invalid(description: "longer than 512 bytes") }
        var authority = Substring(url.dropFirst(scheme.prefix.count))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.contains(where: { "/?#@ \t\r\n".contains($0) }) else {
            throw Invalid(description: "only scheme://HOST[:PORT] is allowed (no path, query or user info)")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw Invalid(description: "unterminated IPv6 literal")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(description: "unexpected text after ']'") }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw Invalid(description: "invalid IPv6 literal")
            }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.isEmpty, host.utf8.count <= 253,
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") })
            else {
                throw Invalid(description: "missing or invalid host")
            }
        }
        var port = scheme.defaultPort
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText),
                (1...65535).contains(p)
            else {
                throw Invalid(description: "port must be 1-65535")
            }
            port = p
        }
        return PeerEndpoint(tls: scheme.tls, host: String(host), port: port)
    }
}
