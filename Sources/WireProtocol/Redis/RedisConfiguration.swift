/// Where and how to reach Redis. Parse one from `redis://[[user]:password@]host[:port][/db]`
/// with `RedisConfiguration(url:)`.
///
/// The password is kept out of `description` and every error: print the configuration freely.
public struct RedisConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// ACL user (Redis 6+); nil authenticates as `default` with `AUTH password` alone.
    public var user: String?
    public var password: String?
    /// The logical database selected after connecting (`SELECT`), 0–15 on a default server.
    public var database: Int

    /// TCP connect plus AUTH and SELECT.
    public var connectTimeout: Duration = .seconds(5)
    /// Default per-command timeout (nil: none).
    public var commandTimeout: Duration? = .seconds(5)
    /// First and longest wait between reconnect attempts after the server went away.
    public var reconnectBackoff: (initial: Duration, maximum: Duration) = (.milliseconds(50), .seconds(2))
    /// Limits on what the server may send.
    public var decoderLimits = RESPDecoder.Limits()
    /// Sent as `CLIENT SETNAME` so the connection shows in `CLIENT LIST`.
    public var clientName: String? = "tmi"

    public init(
        host: String = "127.0.0.1", port: Int = 6379, user: String? = nil, password: String? = nil,
        database: Int = 0
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    public var description: String {
        let auth: String =
            switch (user, password) {
            case (nil, nil): ""
            case (let user?, nil): "\(user)@"
            case (let user, _?): "\(user ?? ""):***@"
            }
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "redis://\(auth)\(host):\(port)/\(database)"
    }
}

extension RedisConfiguration {
    /// Parses `redis://[[user]:password@]host[:port][/db]`: user and password are
    /// percent-decoded, the port defaults to 6379, the database to 0; `[::1]` brackets an IPv6
    /// host. `rediss://` (TLS) and query options are refused with a clear message. Errors never
    /// echo the password.
    public init(url: String) throws(RedisError) {
        func fail(_ reason: String) -> RedisError { .invalidConfiguration("Redis URL: \(reason)") }
        var rest = Substring(url)
        if rest.hasPrefix("rediss://") { throw fail("rediss:// (TLS) is not supported; use redis://") }
        guard rest.hasPrefix("redis://") else { throw fail("must start with redis://") }
        rest = rest.dropFirst("redis://".count)
        if rest.contains("?") || rest.contains("#") { throw fail("query options are not supported") }
        let authority = try URLAuthority(rest, defaultPort: 6379, fail: fail)
        // Tools disagree on whether redis://word@host names a user or a password: refuse.
        if authority.user != nil && authority.password == nil {
            throw fail("put the password after a colon: redis://:PASSWORD@host or redis://USER:PASSWORD@host")
        }
        let user = authority.user?.isEmpty == false ? authority.user : nil
        var password = authority.password
        let host = authority.host
        guard !host.isEmpty else { throw fail("a host is required (redis://host:port/db)") }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:%".contains($0) }) else {
            throw fail("invalid characters in the host")
        }
        let port = authority.port
        let path = authority.path
        var database = 0
        if !path.isEmpty {
            guard let d = Int(path), (0...1_000_000).contains(d) else {
                throw fail("the database must be a number (redis://host:port/0)")
            }
            database = d
        }
        if password?.isEmpty == true { password = nil }
        self.init(host: String(host), port: port, user: user, password: password, database: database)
    }
}
