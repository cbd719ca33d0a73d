import Foundation
import Testing

@testable import RESTGateway

/// `--redis-url`, `--node-id`, `--advertise-url`, `--cluster-secret`: parsed, validated together,
/// and never echoing a password or the secret (docs/cluster.md).
@Suite struct ClusterConfigurationTests {
    static let database = "postgres://tmi:pw@127.0.0.1:5432/tmi"
    static let secret = "0123456789abcdef-secret"

    static func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws(ConfigurationError)
        -> ServerConfiguration
    {
        guard case .run(let c) = try ServerConfiguration.parse(arguments: arguments, environment: environment)
        else {
            throw ConfigurationError("unexpected help")
        }
        return c
    }

    static func message(_ arguments: [String], _ environment: [String: String] = [:]) -> String? {
        do {
            _ = try parse(arguments, environment)
            return nil
        } catch {
            return error.message
        }
    }

    @Test func withoutRedisTheServerIsASingleNode() throws {
        let c = try Self.parse([])
        #expect(c.redisURL == nil && !c.isClustered)
    }

    @Test func aCompleteClusterNodeParsesFromFlagsAndEnvironment() throws {
        let flags = try Self.parse([
            "--redis-url", "redis://:pw@127.0.0.1:6379/2", "--node-id", "node-1", "--advertise-url",
            "http://10.0.0.5:8080/", "--cluster-secret", Self.secret, "--database-url", Self.database,
        ])
        #expect(flags.isClustered)
        #expect(flags.nodeID == "node-1")
        #expect(flags.advertiseURL == "http://10.0.0.5:8080")
        #expect(flags.clusterSecret == Self.secret)
        let env = try Self.parse(
            [],
            [
                "TMI_REDIS_URL": "redis://127.0.0.1", "TMI_NODE_ID": "n2", "TMI_ADVERTISE_URL": "http://h:1",
                "TMI_CLUSTER_SECRET": Self.secret, "TMI_DATABASE_URL": Self.database,
            ])
        #expect(env.redisURL == "redis://127.0.0.1" && env.nodeID == "n2")
        #expect(try env.resolvedNodeID() == "n2")
        #expect(ServerConfiguration.helpText.contains("--redis-url URL"))
        #expect(ServerConfiguration.helpText.contains("TMI_CLUSTER_SECRET"))
    }

    @Test func aBadRedisURLIsRefusedWithoutItsPassword() {
        let message = Self.message(["--redis-url", "redis://:Hunter2Hunter2@host:notaport/0"])
        #expect(message?.hasPrefix("invalid --redis-url: ") == true)
        #expect(message?.contains("Hunter2Hunter2") == false)
        #expect(Self.message(["--redis-url", "rediss://:Hunter2Hunter2@host"])?.contains("TLS") == true)
    }

    @Test func theClusterSettingsGoTogether() {
        let redis = ["--redis-url", "redis://127.0.0.1:6379"]
        let advertise = ["--advertise-url", "http://127.0.0.1:8080"]
        let secret = ["--cluster-secret", Self.secret]
        let database = ["--database-url", Self.database]
        #expect(Self.message(redis + secret + database)?.contains("--advertise-url") == true)
        #expect(Self.message(redis + advertise + database)?.contains("--cluster-secret") == true)
        #expect(Self.message(redis + advertise + secret)?.contains("--database-url") == true)
        #expect(Self.message(advertise)?.contains("need --redis-url") == true)
        #expect(Self.message(["--node-id", "a"])?.contains("need --redis-url") == true)
        #expect(Self.message(redis + advertise + database + ["--cluster-secret", "short"]) != nil)
        #expect(Self.message(redis + advertise + secret + database + ["--node-id", "bad id"]) != nil)
        #expect(Self.message(redis + secret + database + ["--advertise-url", "ftp://x"]) != nil)
        let short = Self.message(redis + advertise + database + ["--cluster-secret", "tiny-secret"])
        #expect(short?.contains("tiny-secret") == false)
    }
}
