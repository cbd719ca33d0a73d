/// Everything the operator can set when starting `tmi-server` (DESIGN §8).
///
/// Built by `ServerConfiguration.parse(arguments:environment:)`: defaults, overridden by `TMI_*`
/// environment variables, overridden by command-line flags.
public struct ServerConfiguration: Sendable, Equatable {
    public enum JWTAlgorithm: String, Sendable, CaseIterable {
        case rs256 = "RS256"
        case hs256 = "HS256"
    }

    /// Address to bind (default loopback: the embedded, development-first default).
    public var host = "127.0.0.1"
    /// Port to bind; 0 lets the kernel pick a free one (read back from the `listening on` line).
    public var port = 8080
    /// Where snapshots, journals and the signing key live.
    public var dataDirectory = "./tmi-data"
    /// Externally visible base URL (issuer, redirects, `websocket_url`), without trailing slash.
    /// Nil means `http://HOST:PORT` as actually bound.
    public var publicURL: String?
    /// The built-in `test` login provider (DESIGN §5).
    public var testProvider = true
    /// Serve the `/echo` WebSocket endpoint for Autobahn conformance runs.
    public var conformanceEcho = false
    public var jwtAlgorithm = JWTAlgorithm.rs256
    /// HS256 secret; nil lets the identity service create one in the data directory.
    public var jwtSecret: String?
    /// PEM RSA key every node signs with (`--signing-key`); nil: generated once and kept in the
    /// store (the database, or the data directory).
    public var signingKeyFile: String?
    /// Access-token lifetime in seconds.
    public var tokenLifetime = 3600
    public var logLevel = Logger.Level.info
    /// Operator shown in `GET /` (ApiInfo `operator`).
    public var operatorName = "TMI Operator"
    public var operatorContact = "admin@localhost"
    /// Slow-head timeout in seconds: a client that has not sent a full request head by then gets
    /// 408 and is closed.
    public var headTimeout = 10
    /// Idle keep-alive connections are closed after this many seconds.
    public var idleTimeout = 60
    /// Largest request body in bytes for routes that do not set their own limit.
    public var maxBodySize = 2 << 20
    /// `HOST:PORT` of a separate listener for `/metrics`, `/healthz` and `/readyz`; nil serves
    /// them on the main port.
    public var metricsAddress: String?
    /// TLS: PEM certificate chain and private key; both set serves https and wss (docs/tls.md).
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?

    /// Whether the server speaks TLS (both files given).
    public var servesTLS: Bool { tlsCertificateFile != nil && tlsKeyFile != nil }
    /// JSON file of external login providers (docs/identity.md); nil: only `TMI_OIDC_*`.
    public var idpConfigFile: String?
    /// PEM file of extra CA certificates trusted for identity providers (a private CA).
    public var idpCAFile: String?
    /// `postgres://…` to keep the store in PostgreSQL instead of `dataDirectory` (docs/storage.md).
    /// Never logged or echoed: it may carry a password.
    public var databaseURL: String?
    /// The PostgreSQL schema holding the store's tables.
    public var databaseSchema = "public"
    /// Most connections open at once; past it new ones get 503 and are closed (abuse limits,
    /// docs/fuzzing.md).
    public var maxConnections = 10_000
    /// Most connections open at once from one client IP address (503 past it).
    public var maxConnectionsPerIP = 2_000
    /// I/O loops (epoll threads) connections are spread over; nil: one per core.
    public var ioThreads: Int?
    /// Polls an I/O loop makes, yielding its core, before it sleeps; nil: 32 (`IdlePolling`).
    public var ioIdlePolls: Int?

    /// Several nodes (`ServerConfiguration+Cluster.swift`); disabled by default.
    public var cluster = ClusterSettings()

    public init() {}

    /// The base URL clients should use: `publicURL` if set, else built from the bound address.
    /// IPv6 literals are bracketed (RFC 3986 §3.2.2); a wildcard bind address is shown as
    /// loopback because `0.0.0.0` is not a destination a client can use.
    public func baseURL(boundPort: Int) -> String {
        if let publicURL { return publicURL }
        var host = self.host
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        if host.contains(":") { host = "[\(host)]" }
        return "\(servesTLS ? "https" : "http")://\(host):\(boundPort)"
    }
}

/// A configuration the server cannot start with; `message` is the one line shown to the operator.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
