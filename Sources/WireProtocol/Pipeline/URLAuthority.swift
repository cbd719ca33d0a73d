/// The authority and path of a server URL, `scheme://[user[:password]@]host[:port][/path]`, as
/// PostgreSQL and Redis URLs write them (RFC 3986 §3.2): user and password percent-decoded, an
/// IPv6 host in brackets (`[::1]:6379`), the port 1–65535 or the protocol's default. What the
/// parts must hold (is a user required, a host, which characters) each protocol checks itself.
struct URLAuthority {
    /// Percent-decoded; nil without userinfo.
    var user: String?
    /// Percent-decoded; nil when the userinfo has no colon.
    var password: String?
    /// Without brackets; empty when the URL names no host.
    var host: Substring
    var port: Int
    /// What follows the '/' that ends the authority, not decoded; empty without one.
    var path: Substring

    /// Parses what follows `scheme://` (any query already cut off). `fail` turns a reason into the
    /// protocol's error; no reason quotes the userinfo, so the password never reaches a message.
    init<Failure: Error>(
        _ rest: Substring, defaultPort: Int, fail: (String) -> Failure
    ) throws(Failure) {
        // The userinfo may contain '/' only percent-encoded; the last '@' ends it.
        let at = rest.lastIndex(of: "@")
        let authorityEnd = rest[(at ?? rest.startIndex)...].firstIndex(of: "/") ?? rest.endIndex
        path = rest[authorityEnd...].dropFirst()
        var hostPort = rest[..<authorityEnd]
        if let at {
            let userinfo = rest[..<at]
            hostPort = rest[rest.index(after: at)..<authorityEnd]
            let colon = userinfo.firstIndex(of: ":")
            guard let user = Self.percentDecode(userinfo[..<(colon ?? userinfo.endIndex)]) else {
                throw fail("bad escape in user name")
            }
            self.user = user
            if let colon {
                guard let password = Self.percentDecode(userinfo[userinfo.index(after: colon)...]) else {
                    throw fail("bad escape in password")
                }
                self.password = password
            }
        }
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("unclosed [ in host") }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("junk after ] in host") }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort
        }
        port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw fail("port must be 1-65535") }
            port = p
        }
    }

    /// RFC 3986 percent-decoding; nil for a malformed escape or invalid UTF-8.
    static func percentDecode<S: StringProtocol>(_ text: S) -> String? {
        var bytes: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let c = it.popFirst() {
            if c != 0x25 {
                bytes.append(c)
                continue
            }
            guard let h = it.popFirst(), let l = it.popFirst(), let high = hexDigitValue(h),
                let low = hexDigitValue(l)
            else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
