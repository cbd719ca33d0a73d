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

    @Test func advertiseURLsArePeerEndpoints() throws {
        #expect(
            try PeerEndpoint.parse("http://10.0.0.5:8080")
                == PeerEndpoint(tls: false, host: "10.0.0.5", port: 8080))
        #expect(try PeerEndpoint.parse("ws://node-a") == PeerEndpoint(tls: false, host: "node-a", port: 80))
        #expect(
            try PeerEndpoint.parse("HTTPS://node-a.example/")
                == PeerEndpoint(tls: true, host: "node-a.example", port: 443))
        #expect(
            try PeerEndpoint.parse("wss://[::1]:8443") == PeerEndpoint(tls: true, host: "::1", port: 8443))
        for bad in [
            "ftp://x:1", "https://", "https://:443", "https://h:0", "https://h:65536", "https://h:+80",
            "https://h:80/path", "https://u:p@h:1", "https://h:1?q", "https://[::1", "https://[zz]:1",
            "https://h h:1", "https://h_1:1", "http://" + String(repeating: "a", count: 600),
        ] {
            #expect(throws: PeerEndpoint.Invalid.self, "\(bad)") { try PeerEndpoint.parse(bad) }
        }
    }

    @Test func theAdvertiseURLAndClusterCAAreCheckedAtStart() throws {
        let c = try parse(
            ["--advertise-url", "wss://node-a:8443/", "--cluster-ca", "/etc/ca.pem"],
            ["TMI_REDIS_URL": "redis://127.0.0.1:6379"])
        #expect(c.cluster.advertiseURL == "wss://node-a:8443")
        #expect(c.cluster.caFile == "/etc/ca.pem")
        #expect(try parse([], ["TMI_CLUSTER_CA": "/x.pem"]).cluster.caFile == "/x.pem")
        for bad in [
            ["--advertise-url", "https://h:99999"], ["--advertise-url", "https://h/p"], ["--cluster-ca", ""],
        ] {
            #expect(throws: ConfigurationError.self, "\(bad)") { _ = try parse(bad) }
        }
        // --cluster-ca alone is a cluster flag without a cluster.
        var s = ClusterSettings()
        s.caFile = "/x.pem"
        #expect(throws: ConfigurationError.self) { try s.validate(databaseURL: nil) }

        // TLS in the advertise URL exactly when this node serves TLS; a CA file must be PEM.
        s = ClusterSettings()
        _ = try TMIFeatures.peerTLSContext(s, advertise: "https://127.0.0.1:8443", servesTLS: true)
        _ = try TMIFeatures.peerTLSContext(s, advertise: "http://127.0.0.1:8080", servesTLS: false)
        #expect(throws: ConfigurationError.self) {
            try TMIFeatures.peerTLSContext(s, advertise: "https://127.0.0.1:8443", servesTLS: false)
        }
        #expect(throws: ConfigurationError.self) {
            try TMIFeatures.peerTLSContext(s, advertise: "ws://127.0.0.1:8080", servesTLS: true)
        }
        s.caFile = "/nonexistent/ca.pem"
        do {
            _ = try TMIFeatures.peerTLSContext(s, advertise: "https://127.0.0.1:8443", servesTLS: true)
            Issue.record("a missing CA file was accepted")
        } catch {
            #expect(error.message.contains("/nonexistent/ca.pem"))
        }
    }
}
