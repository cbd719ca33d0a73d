import Testing

@testable import RESTGateway

/// The cluster flags (docs/cluster.md): read from flags and `TMI_*` variables, checked one by one
/// when parsed and together at start (`validate`), never echoing the Redis URL's password.
@Suite struct ClusterConfigurationTests {
    func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws(ConfigurationError)
        -> ServerConfiguration
    {
        switch try ServerConfiguration.parse(arguments: arguments, environment: environment) {
        case .run(let configuration): return configuration
        case .help: throw ConfigurationError("unexpected help")
        }
    }

    @Test func theFlagsAndVariablesAreRead() throws {
        let c = try parse(
            [
                "--redis-url", "redis://:pw@127.0.0.1:6379/0", "--node-id", "node-a.1", "--advertise-url",
                "http://10.0.0.5:8080/", "--lease-ttl", "1500",
            ], ["TMI_CLUSTER_SECRET": "0123456789abcdef"])
        #expect(c.cluster.redisURL == "redis://:pw@127.0.0.1:6379/0")
        #expect(c.cluster.nodeID == "node-a.1")
        #expect(c.cluster.advertiseURL == "http://10.0.0.5:8080")
        #expect(c.cluster.secret == "0123456789abcdef")
        #expect(c.cluster.leaseTTLMilliseconds == 1500)
        #expect(c.cluster.isEnabled)
        #expect(!(try parse([])).cluster.isEnabled)
    }

    @Test func badValuesAreRefusedWithoutEchoingTheRedisPassword() {
        for bad in [
            ["--redis-url", "http://:secretpw@h:1"], ["--node-id", "a b"],
            ["--node-id", String(repeating: "x", count: 65)],
            ["--cluster-secret", "short"], ["--lease-ttl", "10"], ["--advertise-url", "ftp://x"],
        ] {
            do {
                _ = try parse(bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(!error.message.contains("secretpw"))
            }
        }
    }

    @Test func theSettingsAreCheckedTogether() throws {
        var s = ClusterSettings()
        try s.validate(databaseURL: nil)  // one node
        s.nodeID = "a"
        #expect(throws: ConfigurationError.self) { try s.validate(databaseURL: nil) }
        s.redisURL = "redis://127.0.0.1:6379"
        #expect(throws: ConfigurationError.self) { try s.validate(databaseURL: "postgres://x") }  // no secret
        s.secret = "0123456789abcdef"
        #expect(throws: ConfigurationError.self) { try s.validate(databaseURL: nil) }  // no PostgreSQL
        try s.validate(databaseURL: "postgres://u@h/db")
    }
}
