/// Where and how to connect, and the pool's limits. Parse one from a URL with
/// `PostgresConfiguration(url:)`.
///
/// The password is kept out of `description` and every error: print the configuration freely.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// `sslmode` from the URL. `prefer`/`allow` are treated as `disable` would be by libpq when
    /// the server has no TLS; here they are refused so a deployment states what it wants.
    public enum TLSMode: String, Sendable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tlsMode: TLSMode
    /// A PEM file of CA certificates to verify the server against (`sslrootcert`); without it
    /// `verify-full` uses the system's trust store.
    public var tlsRootCertificateFile: String?
    /// Sent as `application_name`; shows in `pg_stat_activity`.
    public var applicationName = "tmi"

    /// Most connections the pool opens.
    public var maxConnections = 4
    /// How long a request waits for a connection when every one is leased (or being opened).
    public var acquireTimeout: Duration = .seconds(10)
    /// TCP connect plus startup and authentication.
    public var connectTimeout: Duration = .seconds(10)
    /// Default per-query timeout (nil: none). After it a CancelRequest is sent.
    public var queryTimeout: Duration?
    /// First and longest wait between reconnect attempts after the server went away.
    public var reconnectBackoff: (initial: Duration, maximum: Duration) = (.milliseconds(100), .seconds(5))
    /// Prepared statements kept per connection; statements past it are parsed unnamed each time.
    public var statementCacheSize = 512
    /// Largest single message accepted from the server.
    public var maxMessageSize = 64 * 1024 * 1024

    public init(
        host: String = "127.0.0.1", port: Int = 5432, user: String, password: String? = nil,
        database: String? = nil, tlsMode: TLSMode = .disable
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database ?? user
        self.tlsMode = tlsMode
    }

    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tlsMode.rawValue)"
    }
}

extension PostgresConfiguration {
    /// Parses `postgres://user:pass@host:port/db?sslmode=disable|require|verify-full`
    /// (also `postgresql://`). User, password and database are percent-decoded; the port
    /// defaults to 5432, the database to the user name; `[::1]` brackets an IPv6 host. Other
    /// query options are refused except `application_name`, `connect_timeout` (seconds) and
    /// `sslrootcert` (a CA file for `verify-full`).
    /// Errors never echo the password.
    public init(url: String) throws(PostgresError) {
        func fail(_ reason: String) -> PostgresError { .invalidConfiguration("database URL: \(reason)") }
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw fail("must start with postgres://")
        }
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        let authority = try URLAuthority(rest, defaultPort: 5432, fail: fail)
        let host = authority.host.isEmpty ? "127.0.0.1" : authority.host
        let port = authority.port
        let user = authority.user
        let password = authority.password
        guard let user, !user.isEmpty else { throw fail("a user name is required (postgres://USER@host/db)") }
        guard let database = URLAuthority.percentDecode(authority.path) else {
            throw fail("bad escape in database name")
        }
        for text in [user, password ?? "", database, String(host)] where PostgresFrontend.containsNUL(text) {
            throw fail("a NUL byte is not allowed")
        }
        self.init(
            host: String(host), port: port, user: user, password: password,
            database: database.isEmpty ? nil : database)
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? URLAuthority.percentDecode(parts[1]) ?? "" : ""
            switch key {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw fail("sslmode must be disable, require or verify-full (got '\(value)')")
                }
                tlsMode = mode
            case "application_name": applicationName = value
            case "sslrootcert":
                guard !value.isEmpty else { throw fail("sslrootcert needs a file name") }
                tlsRootCertificateFile = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0, seconds <= 3600 else {
                    throw fail("connect_timeout must be 1-3600 seconds")
                }
                connectTimeout = .seconds(seconds)
            default: throw fail("unknown option '\(key)'")
            }
        }
    }
}
