import Cluster
import CollabCore
import SessionActors
import Storage
import WireProtocol

/// Starting a node of several (`--redis-url`, DESIGN §11, docs/cluster.md).
extension TMIFeatures {
    /// What `assemble` needs from the cluster: the coordinator, its background upkeep, and how
    /// to leave (release leases, deregister).
    struct ClusterRuntime: Sendable {
        var coordinator: ClusterCoordinator
        var upkeep: Task<Void, Never>
        var redis: RedisClient

        func stop() async {
            upkeep.cancel()
            await coordinator.peers.close()
            await coordinator.directory.stop()
            await redis.close()
        }
    }

    /// Connects to Redis and registers the node. A duplicate `--node-id` of a live node, an
    /// unreachable Redis, or missing settings stop the start (exit 2) with a message.
    static func startCluster(
        _ configuration: ServerConfiguration, boundPort: Int, store: ThreatModelStore,
        sessions: SessionDirectory, logger: Logger
    ) async throws -> ClusterRuntime? {
        let settings = configuration.cluster
        try settings.validate(databaseURL: configuration.databaseURL)
        guard let url = settings.redisURL, let id = settings.nodeID, let secret = settings.secret else {
            return nil
        }
        var bound = configuration
        bound.publicURL = nil
        let advertise = settings.advertiseURL ?? bound.baseURL(boundPort: boundPort)
        let peerTLS = try peerTLSContext(settings, advertise: advertise, servesTLS: configuration.servesTLS)
        let redis: RedisClient
        let node: ClusterNode
        do {
            redis = try RedisClient(url: url)
            node = try ClusterNode(id: id, advertiseURL: advertise)
        } catch {
            throw ConfigurationError("\(error)")
        }
        var options = ClusterDirectoryConfiguration()
        options.leaseTTL = .milliseconds(settings.leaseTTLMilliseconds)
        options.nodeTTL = .milliseconds(settings.leaseTTLMilliseconds)
        options.log = { logger.warning("cluster directory", [("reason", .string($0))]) }
        let directory = ClusterDirectory(redis: redis, node: node, configuration: options)
        do {
            try await directory.start()
        } catch {
            await redis.close()
            throw ConfigurationError(error.description)
        }
        let coordinator = ClusterCoordinator(
            directory: directory, secret: secret, store: store, sessions: sessions, logger: logger,
            peerTLS: peerTLS)
        let period = Duration.milliseconds(max(settings.leaseTTLMilliseconds / 3, 100))
        let upkeep = Task {
            while !Task.isCancelled {
                await coordinator.maintain(describe: { summary in Self.listingInfo(summary) })
                try? await Task.sleep(for: period)
            }
        }
        logger.info(
            "cluster node registered", [("node_id", .string(id)), ("advertise_url", .string(advertise))])
        return ClusterRuntime(coordinator: coordinator, upkeep: upkeep, redis: redis)
    }

    /// Checks that the other nodes can use this node's advertise URL (a scheme, host and port
    /// they can connect to, TLS exactly when this node serves TLS) and builds the client context
    /// that verifies peers' certificates (chain and host name) for `https`/`wss` advertise URLs:
    /// against `--cluster-ca` alone when given, else the system trust store.
    static func peerTLSContext(_ settings: ClusterSettings, advertise: String, servesTLS: Bool)
        throws(ConfigurationError) -> TLSContext
    {
        let endpoint: PeerEndpoint
        do throws(PeerEndpoint.Invalid) {
            endpoint = try PeerEndpoint.parse(advertise)
        } catch {
            throw ConfigurationError("advertise URL '\(advertise.prefix(200))' cannot work: \(error)")
        }
        if endpoint.tls && !servesTLS {
            throw ConfigurationError(
                "advertise URL \(advertise) is TLS but this node serves plain http: add --tls-cert and --tls-key, or advertise http://"
            )
        }
        if !endpoint.tls && servesTLS {
            throw ConfigurationError(
                "advertise URL \(advertise) is plain http but this node serves TLS only: advertise https://")
        }
        do {
            return try TLSContext.client(
                TLSClientConfiguration(
                    trustsSystemRoots: settings.caFile == nil, additionalCAFile: settings.caFile))
        } catch {
            throw ConfigurationError("--cluster-ca: \(error.description)")
        }
    }

    /// A session as the cluster-wide listing keeps it (`GET /collaboration/sessions` on any node).
    static func listingInfo(_ s: SessionSummary) -> String {
        func user(_ u: CollabUser?) -> JSONValue {
            guard let u else { return .null }
            return [
                "user_id": .string(u.userID), "email": .string(u.email), "name": .string(u.displayName ?? ""),
            ]
        }
        let json: JSONValue = [
            "session_id": .string(s.sessionID), "threat_model_id": .string(s.threatModelID),
            "host": user(s.host), "presenter": user(s.presenter), "revision": .number(Double(s.revision)),
            "participants": .array(
                s.participants.map {
                    [
                        "user": user($0.user), "role": .string($0.role.rawValue),
                        "last_activity": .string($0.lastActivity),
                    ]
                }),
        ]
        return String(decoding: json.serialized(), as: UTF8.self)
    }
}
