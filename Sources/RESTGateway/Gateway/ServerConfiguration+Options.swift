import StoragePostgres

/// The table of settings: one entry per flag, naming its environment variable, its default (as
/// shown by `--help`) and how to apply a value. Parsing and `--help` both read this table, so a
/// setting cannot be parsed without being documented, or documented without being parsed.
extension ServerConfiguration {
    struct Option: Sendable {
        var flag: String
        var environment: String?
        /// Placeholder shown in `--help`; nil for a switch that takes no value.
        var valueName: String?
        var defaultText: String
        var help: String
        var apply: @Sendable (inout ServerConfiguration, String) throws(ConfigurationError) -> Void
    }

    static let options: [Option] =
        [
            Option(
                flag: "--host", environment: "TMI_HOST", valueName: "ADDRESS", defaultText: "127.0.0.1",
                help: "address to listen on"
            ) { c, v throws(ConfigurationError) in
                guard !v.isEmpty, !v.contains(where: { $0 == " " || $0 == "/" }) else {
                    throw invalid("--host", v)
                }
                c.host = v
            },
            Option(
                flag: "--port", environment: "TMI_PORT", valueName: "PORT", defaultText: "8080",
                help: "TCP port; 0 picks a free port"
            ) { c, v throws(ConfigurationError) in c.port = try integer("--port", v, 0...65535) },
            Option(
                flag: "--data-dir", environment: "TMI_DATA_DIR", valueName: "PATH", defaultText: "./tmi-data",
                help: "directory for snapshots, journals and keys (created if missing)"
            ) { c, v throws(ConfigurationError) in
                guard !v.isEmpty else { throw invalid("--data-dir", v) }
                c.dataDirectory = v
            },
            Option(
                flag: "--public-url", environment: "TMI_PUBLIC_URL", valueName: "URL",
                defaultText: "http://HOST:PORT as bound",
                help: "external base URL for issuer, redirects, websocket_url"
            ) { c, v throws(ConfigurationError) in c.publicURL = try url("--public-url", v) },
            Option(
                flag: "--no-test-provider", environment: "TMI_TEST_PROVIDER", valueName: nil,
                defaultText: "on",
                help: "disable the built-in 'test' login provider (env: 0 disables, 1 enables)"
            ) { c, v throws(ConfigurationError) in c.testProvider = try boolean("TMI_TEST_PROVIDER", v) },
            Option(
                flag: "--conformance-echo", environment: "TMI_CONFORMANCE_ECHO", valueName: nil,
                defaultText: "off",
                help: "serve the /echo WebSocket endpoint for conformance runs"
            ) { c, v throws(ConfigurationError) in c.conformanceEcho = try boolean("TMI_CONFORMANCE_ECHO", v)
            },
            Option(
                flag: "--jwt-alg", environment: "TMI_JWT_ALG", valueName: "RS256|HS256", defaultText: "RS256",
                help: "access-token signature algorithm"
            ) { c, v throws(ConfigurationError) in
                guard let alg = JWTAlgorithm(rawValue: v.uppercased()) else {
                    throw ConfigurationError("invalid value '\(v)' for --jwt-alg: expected RS256 or HS256")
                }
                c.jwtAlgorithm = alg
            },
            Option(
                flag: "--jwt-secret", environment: "TMI_JWT_SECRET", valueName: "SECRET",
                defaultText: "generated in the data directory", help: "HS256 secret, at least 32 bytes"
            ) { c, v throws(ConfigurationError) in
                // RFC 7518 §3.2: an HS256 key MUST be at least as long as the hash output (256 bits).
                guard v.utf8.count >= 32 else {
                    throw ConfigurationError("--jwt-secret must be at least 32 bytes (RFC 7518 §3.2)")
                }
                c.jwtSecret = v
            },
            Option(
                flag: "--signing-key", environment: "TMI_SIGNING_KEY", valueName: "FILE",
                defaultText: "generated once, kept in the store",
                help: "PEM RSA private key every node signs tokens with (RS256)"
            ) { c, v throws(ConfigurationError) in
                guard !v.isEmpty else { throw ConfigurationError("--signing-key needs a file name") }
                c.signingKeyFile = v
            },
            Option(
                flag: "--token-lifetime", environment: "TMI_TOKEN_LIFETIME", valueName: "SECONDS",
                defaultText: "3600",
                help: "access-token lifetime"
            ) { c, v throws(ConfigurationError) in
                c.tokenLifetime = try integer("--token-lifetime", v, 1...2_592_000)
            },
            Option(
                flag: "--log-level", environment: "TMI_LOG_LEVEL", valueName: "LEVEL", defaultText: "info",
                help: "debug, info, warning or error"
            ) { c, v throws(ConfigurationError) in
                guard let level = Logger.Level(name: v) else {
                    throw ConfigurationError(
                        "invalid value '\(v)' for --log-level: expected debug, info, warning or error")
                }
                c.logLevel = level
            },
            Option(
                flag: "--operator-name", environment: "TMI_OPERATOR_NAME", valueName: "NAME",
                defaultText: "TMI Operator",
                help: "operator name shown by GET /"
            ) { c, v throws(ConfigurationError) in c.operatorName = try bounded("--operator-name", v, 256) },
            Option(
                flag: "--operator-contact", environment: "TMI_OPERATOR_CONTACT", valueName: "CONTACT",
                defaultText: "admin@localhost", help: "operator contact shown by GET /"
            ) { c, v throws(ConfigurationError) in
                c.operatorContact = try bounded("--operator-contact", v, 1024)
            },
            Option(
                flag: "--head-timeout", environment: "TMI_HEAD_TIMEOUT", valueName: "SECONDS",
                defaultText: "10",
                help: "close a connection that has not sent a full request head in time (408)"
            ) { c, v throws(ConfigurationError) in c.headTimeout = try integer("--head-timeout", v, 1...3600)
            },
            Option(
                flag: "--idle-timeout", environment: "TMI_IDLE_TIMEOUT", valueName: "SECONDS",
                defaultText: "60",
                help: "close idle keep-alive connections after this long"
            ) { c, v throws(ConfigurationError) in
                c.idleTimeout = try integer("--idle-timeout", v, 1...86_400)
            },
            Option(
                flag: "--max-body-size", environment: "TMI_MAX_BODY_SIZE", valueName: "BYTES",
                defaultText: "2097152",
                help: "largest request body for routes without their own limit (413 past it)"
            ) { c, v throws(ConfigurationError) in
                c.maxBodySize = try integer("--max-body-size", v, 1...(1 << 30))
            },
            Option(
                flag: "--metrics-address", environment: "TMI_METRICS_ADDRESS", valueName: "HOST:PORT",
                defaultText: "the main port",
                help: "serve /metrics, /healthz and /readyz on this separate listener instead"
            ) { c, v throws(ConfigurationError) in
                guard hostAndPort(v) != nil else {
                    throw ConfigurationError(
                        "invalid value '\(v)' for --metrics-address: expected HOST:PORT, e.g. 127.0.0.1:9090")
                }
                c.metricsAddress = v
            },
            Option(
                flag: "--tls-cert", environment: "TMI_TLS_CERT", valueName: "FILE",
                defaultText: "none (plain HTTP)",
                help:
                    "PEM certificate chain (leaf first); with --tls-key serves https/wss; reloaded on SIGHUP"
            ) { c, v throws(ConfigurationError) in
                guard !v.isEmpty else { throw invalid("--tls-cert", v) }
                c.tlsCertificateFile = v
            },
            Option(
                flag: "--tls-key", environment: "TMI_TLS_KEY", valueName: "FILE", defaultText: "none",
                help: "PEM private key of --tls-cert"
            ) { c, v throws(ConfigurationError) in
                guard !v.isEmpty else { throw invalid("--tls-key", v) }
                c.tlsKeyFile = v
            },
            Option(
                flag: "--idp-config", environment: "TMI_IDP_CONFIG", valueName: "FILE", defaultText: "none",
                help: "JSON file of login providers: OIDC, google, microsoft, github (docs/identity.md)"
            ) { c, v throws(ConfigurationError) in c.idpConfigFile = try bounded("--idp-config", v, 4096) },
            Option(
                flag: "--idp-ca-file", environment: "TMI_IDP_CA_FILE", valueName: "FILE",
                defaultText: "system CA store only",
                help: "PEM CA certificates also trusted for identity providers (a private CA)"
            ) { c, v throws(ConfigurationError) in c.idpCAFile = try bounded("--idp-ca-file", v, 4096) },
            Option(
                flag: "--database-url", environment: "TMI_DATABASE_URL", valueName: "URL",
                defaultText: "none: the embedded store in --data-dir",
                help: "keep threat models in PostgreSQL: postgres://user:pass@host:port/db?sslmode=disable"
            ) { c, v throws(ConfigurationError) in
                // The value is never echoed: it may hold a password.
                guard v.hasPrefix("postgres://") || v.hasPrefix("postgresql://"), v.utf8.count <= 4096 else {
                    throw ConfigurationError(
                        "invalid --database-url: expected postgres://user:pass@host:port/db")
                }
                c.databaseURL = v
            },
            Option(
                flag: "--database-schema", environment: "TMI_DATABASE_SCHEMA", valueName: "NAME",
                defaultText: "public", help: "PostgreSQL schema for the store's tables (created if missing)"
            ) { c, v throws(ConfigurationError) in
                guard (try? PostgresTables(schema: v)) != nil else {
                    throw ConfigurationError("invalid --database-schema: expected 1-63 of a-z, 0-9 and _")
                }
                c.databaseSchema = v
            },
            Option(
                flag: "--max-connections", environment: "TMI_MAX_CONNECTIONS", valueName: "N",
                defaultText: "10000",
                help: "most connections open at once; new ones past it get 503 and are closed"
            ) { c, v throws(ConfigurationError) in
                c.maxConnections = try integer("--max-connections", v, 1...1_000_000)
            },
            Option(
                flag: "--max-connections-per-ip", environment: "TMI_MAX_CONNECTIONS_PER_IP", valueName: "N",
                defaultText: "2000",
                help: "most connections open at once from one client IP address (503 past it)"
            ) { c, v throws(ConfigurationError) in
                c.maxConnectionsPerIP = try integer("--max-connections-per-ip", v, 1...1_000_000)
            },
        ] + clusterOptions + ioOptions

    /// The I/O threading of the HTTP server.
    static let ioOptions: [Option] = [
        Option(
            flag: "--io-threads", environment: "TMI_IO_THREADS", valueName: "N", defaultText: "one per core",
            help: "I/O threads (epoll loops) connections are spread over, each owning its connections"
        ) { c, v throws(ConfigurationError) in
            c.ioThreads = try integer("--io-threads", v, 1...64)
        },
        Option(
            flag: "--io-idle-polls", environment: "TMI_IO_IDLE_POLLS", valueName: "N", defaultText: "32",
            help:
                "times an idle I/O thread polls again, yielding its core, before it sleeps (0: sleep at once)"
        ) { c, v throws(ConfigurationError) in
            c.ioIdlePolls = try integer("--io-idle-polls", v, 0...4096)
        },
    ]

    /// `HOST:PORT` or `[IPv6]:PORT`, port 0...65535; nil when malformed.
    static func hostAndPort(_ value: String) -> (host: String, port: Int)? {
        guard let colon = value.lastIndex(of: ":") else { return nil }
        var host = String(value[..<colon])
        guard let port = Int(value[value.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" || $0 == "[" || $0 == "]" })
        else {
            return nil
        }
        return (host, port)
    }

    static func invalid(_ name: String, _ value: String) -> ConfigurationError {
        ConfigurationError("invalid value '\(value)' for \(name)")
    }

    static func integer(_ name: String, _ value: String, _ range: ClosedRange<Int>) throws(ConfigurationError)
        -> Int
    {
        guard let n = Int(value), range.contains(n) else {
            throw ConfigurationError(
                "invalid value '\(value)' for \(name): expected an integer from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return n
    }

    static func boolean(_ name: String, _ value: String) throws(ConfigurationError) -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError("invalid value '\(value)' for \(name): expected 0 or 1")
        }
    }

    static func bounded(_ name: String, _ value: String, _ maxLength: Int) throws(ConfigurationError)
        -> String
    {
        guard !value.isEmpty, value.count <= maxLength else {
            throw ConfigurationError("invalid value for \(name): expected 1 to \(maxLength) characters")
        }
        return value
    }

    /// An absolute http(s) URL with a host; a trailing slash is dropped so paths can be appended.
    static func url(_ name: String, _ value: String) throws(ConfigurationError) -> String {
        var v = value
        while v.hasSuffix("/") { v.removeLast() }
        let lower = v.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }),
            v.count > scheme.count, !v.contains(" "), !v.contains("?"), !v.contains("#")
        else {
            throw ConfigurationError(
                "invalid value '\(value)' for \(name): expected an http:// or https:// URL")
        }
        return v
    }
}
