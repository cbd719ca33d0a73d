import WireProtocol

/// Several nodes (DESIGN §11, docs/cluster.md): set together, or not at all (one node, as
/// before). The checks that need more than one value run in `validated()` at start.
public struct ClusterSettings: Sendable, Equatable {
    /// `redis://[:pass@]host:port/db`; nil: a single node.
    public var redisURL: String?
    public var nodeID: String?
    /// How other nodes reach this one (`http://10.0.0.5:8080`); nil: `http://HOST:PORT` as
    /// actually bound (so `--port 0` works on one machine; several machines need it set).
    public var advertiseURL: String?
    /// Shared by every node; signs node-to-node relay handshakes.
    public var secret: String?
    /// Lifetime of a diagram ownership lease (and of the node's registration) in milliseconds.
    public var leaseTTLMilliseconds = 10_000
    /// PEM bundle of the CAs that node-to-node TLS (`https`/`wss` advertise URLs) trusts; nil:
    /// the system trust store.
    public var caFile: String?

    public init() {}

    public var isEnabled: Bool { redisURL != nil }

    /// Throws naming what is missing when `--redis-url` is given without the rest.
    func validate(databaseURL: String?) throws(ConfigurationError) {
        guard isEnabled else {
            if nodeID != nil || advertiseURL != nil || secret != nil || caFile != nil {
                throw ConfigurationError(
                    "--node-id, --advertise-url, --cluster-secret and --cluster-ca need --redis-url")
            }
            return
        }
        guard nodeID != nil else { throw ConfigurationError("--redis-url needs --node-id") }
        guard secret != nil else { throw ConfigurationError("--redis-url needs --cluster-secret") }
        guard databaseURL != nil else {
            throw ConfigurationError("--redis-url needs --database-url: the nodes share one PostgreSQL store")
        }
    }
}

extension ServerConfiguration {
    static let clusterOptions: [Option] = [
        Option(
            flag: "--redis-url", environment: "TMI_REDIS_URL", valueName: "URL",
            defaultText: "none: a single node",
            help: "run as one of several nodes, with this Redis as the session directory"
        ) { c, v throws(ConfigurationError) in
            // The value is never echoed: it may hold a password.
            guard (try? RedisConfiguration(url: v)) != nil else {
                throw ConfigurationError("invalid --redis-url: expected redis://[:pass@]host:port/db")
            }
            c.cluster.redisURL = v
        },
        Option(
            flag: "--node-id", environment: "TMI_NODE_ID", valueName: "ID", defaultText: "none",
            help: "this node's unique name in the cluster (1-64 of letters, digits, '.', '_', '-')"
        ) { c, v throws(ConfigurationError) in
            guard !v.isEmpty, v.utf8.count <= 64,
                v.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            else {
                throw ConfigurationError("invalid --node-id: expected 1-64 of letters, digits, '.', '_', '-'")
            }
            c.cluster.nodeID = v
        },
        Option(
            flag: "--advertise-url", environment: "TMI_ADVERTISE_URL", valueName: "URL", defaultText: "none",
            help:
                "how the other nodes reach this one: http(s):// or ws(s)://HOST[:PORT], e.g. https://10.0.0.5:8443"
        ) { c, v throws(ConfigurationError) in
            do throws(PeerEndpoint.Invalid) {
                _ = try PeerEndpoint.parse(v)
            } catch {
                throw ConfigurationError("invalid --advertise-url '\(v.prefix(200))': \(error)")
            }
            var url = v
            while url.hasSuffix("/") { url.removeLast() }
            c.cluster.advertiseURL = url
        },
        Option(
            flag: "--cluster-secret", environment: "TMI_CLUSTER_SECRET", valueName: "SECRET",
            defaultText: "none",
            help: "shared by every node: signs node-to-node relays (at least 16 bytes)"
        ) { c, v throws(ConfigurationError) in
            guard v.utf8.count >= 16, v.utf8.count <= 4096 else {
                throw ConfigurationError("--cluster-secret must be 16 to 4096 bytes")
            }
            c.cluster.secret = v
        },
        Option(
            flag: "--lease-ttl", environment: "TMI_LEASE_TTL", valueName: "MS", defaultText: "10000",
            help: "lifetime of a diagram ownership lease in milliseconds (renewed every third of it)"
        ) { c, v throws(ConfigurationError) in
            c.cluster.leaseTTLMilliseconds = try integer("--lease-ttl", v, 300...600_000)
        },
        Option(
            flag: "--cluster-ca", environment: "TMI_CLUSTER_CA", valueName: "FILE",
            defaultText: "the system trust store",
            help: "PEM CA bundle that verifies other nodes' certificates over https/wss advertise URLs"
        ) { c, v throws(ConfigurationError) in
            guard !v.isEmpty else { throw ConfigurationError("--cluster-ca needs a file name") }
            c.cluster.caFile = v
        },
    ]
}
