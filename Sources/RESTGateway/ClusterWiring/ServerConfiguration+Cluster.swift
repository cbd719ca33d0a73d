import Cluster
import Glibc
import WireProtocol

extension ServerConfiguration {
    /// True when the server runs as one of several nodes (`--redis-url`).
    public var isClustered: Bool { redisURL != nil }

    /// The cluster settings go together: with `--redis-url`, `--advertise-url` and
    /// `--cluster-secret` are required and the store must be shared (`--database-url`: the
    /// embedded store is one node's disk). The other flags without `--redis-url` are refused too,
    /// so a half-configured cluster node never starts as a lone one by mistake.
    func validateCluster() throws(ConfigurationError) {
        guard redisURL != nil else {
            if advertiseURL != nil || clusterSecret != nil || nodeID != nil {
                throw ConfigurationError(
                    "--node-id, --advertise-url and --cluster-secret need --redis-url (TMI_REDIS_URL): without it the server is a single node"
                )
            }
            return
        }
        guard advertiseURL != nil else {
            throw ConfigurationError(
                "--redis-url needs --advertise-url (TMI_ADVERTISE_URL): how other nodes reach this one")
        }
        guard clusterSecret != nil else {
            throw ConfigurationError(
                "--redis-url needs --cluster-secret (TMI_CLUSTER_SECRET): the shared secret of the node-to-node links"
            )
        }
        guard databaseURL != nil else {
            throw ConfigurationError(
                "--redis-url needs --database-url (TMI_DATABASE_URL): every node must share one PostgreSQL store"
            )
        }
    }

    /// This node's id: `--node-id`, else the host name (refused if it is no valid id).
    public func resolvedNodeID() throws(ConfigurationError) -> String {
        if let nodeID { return nodeID }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else {
            throw ConfigurationError("cannot read the host name: give --node-id")
        }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard ClusterNode.isValidID(name) else {
            throw ConfigurationError("the host name is no valid node id: give --node-id")
        }
        return name
    }

    /// With `--redis-url`: connects to Redis, registers this node and returns the started
    /// directory (stop it at shutdown). Nil for a single node. A node id held by a live node, or
    /// Redis unreachable at start, stops the start with one line (exit 2).
    public func openClusterDirectory(logger: Logger) async throws(ConfigurationError) -> ClusterDirectory? {
        guard let redisURL, let advertiseURL else { return nil }
        let node: ClusterNode
        let redisConfiguration: RedisConfiguration
        let id = try resolvedNodeID()
        do throws(ClusterDirectoryError) {
            node = try ClusterNode(id: id, advertiseURL: advertiseURL)
        } catch {
            throw ConfigurationError(error.description)
        }
        do throws(RedisError) {
            redisConfiguration = try RedisConfiguration(url: redisURL)
        } catch {
            throw ConfigurationError("invalid --redis-url: \(error.description)")
        }
        let redis = RedisClient(configuration: redisConfiguration)
        var settings = ClusterDirectoryConfiguration()
        settings.log = { message in logger.warning("cluster", [("event", .string(message))]) }
        let directory = ClusterDirectory(redis: redis, node: node, configuration: settings)
        do throws(ClusterDirectoryError) {
            try await directory.start()
        } catch {
            await redis.close()
            throw ConfigurationError(error.description)
        }
        logger.info(
            "cluster node registered",
            [
                ("node_id", .string(node.id)), ("advertise_url", .string(node.advertiseURL)),
                ("redis", .string(redisConfiguration.description)),
            ])
        return directory
    }
}
