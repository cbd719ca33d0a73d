import Testing

@testable import RESTGateway

@Suite struct MetricsTextTests {
    @Test func labelValuesAreEscaped() {
        var out = MetricsText()
        out.family("m", .counter, help: "a \\ b\nc")
        out.sample("m", [("route", "a\"b\\c\nd")], UInt64(3))
        #expect(out.text == "# HELP m a \\\\ b\\nc\n# TYPE m counter\nm{route=\"a\\\"b\\\\c\\nd\"} 3\n")
    }

    @Test func histogramIsCumulativeWithInfSumAndCount() {
        var out = MetricsText()
        out.histogram("h", [("route", "/")], ([0.1, 1], [2, 3], 4, 5.5))
        #expect(
            out.text == """
                h_bucket{route="/",le="0.1"} 2
                h_bucket{route="/",le="1"} 3
                h_bucket{route="/",le="+Inf"} 4
                h_sum{route="/"} 5.5
                h_count{route="/"} 4

                """)
    }

    @Test func requestsAreCountedByRouteAndStatus() {
        let m = HTTPRequestMetrics(routes: [("GET", "/a/{id}"), ("POST", "/a")])
        m.record(route: 0, status: 200, nanoseconds: 1_000)
        m.record(route: 0, status: 200, nanoseconds: 1_000)
        m.record(route: 1, status: 418, nanoseconds: 1_000)
        m.record(route: 99, status: 404, nanoseconds: 1_000)
        m.record(route: 0, status: 9999, nanoseconds: 1_000)
        #expect(m.count(route: 0, status: 200) == 2)
        var out = MetricsText()
        m.render(into: &out)
        #expect(
            out.text.contains("tmi_http_requests_total{method=\"GET\",route=\"/a/{id}\",status=\"200\"} 2"))
        #expect(out.text.contains("tmi_http_requests_total{method=\"POST\",route=\"/a\",status=\"4xx\"} 1"))
        #expect(
            out.text.contains("tmi_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"} 1"))
        #expect(
            out.text.contains("tmi_http_request_duration_seconds_count{method=\"GET\",route=\"/a/{id}\"} 3"))
    }

    @Test func metricsAddressIsParsed() throws {
        #expect(ServerConfiguration.hostAndPort("127.0.0.1:9090")! == ("127.0.0.1", 9090))
        #expect(ServerConfiguration.hostAndPort("[::1]:0")! == ("::1", 0))
        for bad in ["9090", ":9090", "host:", "host:70000", "a b:1", "host:x"] {
            #expect(ServerConfiguration.hostAndPort(bad) == nil, "\(bad)")
        }
        let parsed = try ServerConfiguration.parse(
            arguments: ["--metrics-address", "127.0.0.1:9100"], environment: [:])
        guard case .run(let c) = parsed else { Issue.record("expected a configuration"); return }
        #expect(c.metricsAddress == "127.0.0.1:9100")
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration.parse(arguments: [], environment: ["TMI_METRICS_ADDRESS": "nope"])
        }
    }
}
