import CollabCore
import Foundation
import RESTGateway
import Testing
import WireProtocol

/// `/metrics`, `/healthz` and `/readyz` against the whole server: the exposition parses with the
/// reference Prometheus parser, and its counters move when requests and operations happen.
@Suite struct MetricsEndToEndTests {
    static let alice = "alice@test.tmi"
    static let bob = "bob@test.tmi"

    /// GET on `port` without a token; the status and the body as text.
    static func get(_ port: Int, _ path: String) async throws -> (status: Int, body: String, type: String?) {
        let client = HTTPClient(port: port)
        var headers = HTTPHeaders()
        headers.add("Host", "127.0.0.1:\(port)")
        let r = try await client.send(HTTPRequest(method: "GET", target: path, headers: headers))
        await client.close()
        return (r.status, String(decoding: r.decodedBody ?? r.body, as: UTF8.self), r.headers["Content-Type"])
    }

    /// Scrapes and parses; nil (with a printed reason) when the parser is missing outside CI.
    static func scrape(_ port: Int) async throws -> [PrometheusParser.Sample]? {
        guard PrometheusParser.available() else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("python3 with prometheus_client is required under CI")
            } else {
                print("skipping: python3 -m pip install prometheus_client to run the metrics parse test")
            }
            return nil
        }
        let r = try await get(port, "/metrics")
        #expect(r.status == 200)
        #expect(r.type == "text/plain; version=0.0.4; charset=utf-8")
        return try PrometheusParser.parse(r.body)
    }

    static func value(
        _ samples: [PrometheusParser.Sample], _ name: String, _ labels: [String: String] = [:]
    ) -> Double {
        samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    static func node(_ id: String, x: Double) -> JSONValue {
        ["id": .string(id), "shape": "process", "x": .number(x), "y": 40, "width": 120, "height": 60]
    }

    @Test func countersMoveWithRequestsAndOperations() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let (tm, d) = try await server.makeDiagram(
            as: Self.alice, model: "M", authorization: [["subject": .string(Self.bob), "role": "writer"]],
            diagram: "D")
        guard let before = try await Self.scrape(server.port) else { return }

        let route = ["method": "GET", "route": "/threat_models/{threat_model_id}", "status": "200"]
        for _ in 0..<3 { _ = try await server.call("GET", "/threat_models/\(tm)", as: Self.alice) }
        _ = try await server.call("GET", "/threat_models/\(UUIDText.random())", as: Self.alice)

        let a = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.alice)
        _ = try await a.next("diagram_state_sync")
        let b = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.bob)
        _ = try await b.next("diagram_state_sync")
        let n = UUIDText.random()
        let added = try a.operate(
            base: 0, [["id": .string(n), "operation": "add", "data": Self.node(n, x: 1)]])
        _ = try await a.next("diagram_operation") { $0["operation_id"] == .string(added) }
        // Bob's move is based on revision 1; alice sees it with bob's base_vector (DESIGN §6).
        let moved = try b.operate(
            base: 1, [["id": .string(n), "operation": "update", "data": Self.node(n, x: 9)]])
        let seen = try await a.next("diagram_operation") { $0["operation_id"] == .string(moved) }
        #expect(seen["base_vector"] == 1 && seen["update_vector"] == 2 && seen["sequence_number"] == 2)
        _ = try await b.next("diagram_operation") { $0["operation_id"] == .string(moved) }
        // Removing a cell that does not exist is rejected.
        let missing = UUIDText.random()
        let refused = try b.operate(
            base: 2, [["id": .string(missing), "operation": "update", "data": ["x": 1]]])
        _ = try await b.next("operation_rejected") { $0["operation_id"] == .string(refused) }

        let after = try #require(try await Self.scrape(server.port))
        func delta(_ name: String, _ labels: [String: String] = [:]) -> Double {
            Self.value(after, name, labels) - Self.value(before, name, labels)
        }
        #expect(delta("tmi_http_requests_total", route) == 3)
        #expect(
            delta("tmi_http_requests_total", ["route": "/threat_models/{threat_model_id}", "status": "404"])
                == 1)
        #expect(
            delta("tmi_http_request_duration_seconds_count", ["route": "/threat_models/{threat_model_id}"])
                == 4)
        #expect(delta("tmi_collab_operations_applied_total") == 2)
        #expect(delta("tmi_collab_operations_rejected_total") == 1)
        #expect(delta("tmi_collab_operation_apply_duration_seconds_count") == 2)
        #expect(delta("tmi_journal_fsync_duration_seconds_count") >= 1)
        #expect(Self.value(after, "tmi_collab_sessions") == 1)
        #expect(Self.value(after, "tmi_collab_participants") == 2)
        #expect(Self.value(after, "tmi_websocket_connections_open") == 2)
        #expect(Self.value(after, "tmi_http_connections_open") >= 2)
        #expect(delta("tmi_network_received_bytes_total") > 0 && delta("tmi_network_sent_bytes_total") > 0)
        #expect(Self.value(after, "process_resident_memory_bytes") > 1_000_000)
        #expect(Self.value(after, "process_cpu_seconds_total") > 0)
        // Route templates only: no ids, no user ids or emails in any label.
        for s in after {
            for v in s.labels.values {
                #expect(!v.contains(tm) && !v.contains("@") && !v.contains("id-alice"), "\(s.name) \(v)")
            }
        }

        try await a.closeAndWait()
        try await b.closeAndWait()
    }

    @Test func healthAndReadiness() async throws {
        let server = try await LiveServer.start()
        let health = try await Self.get(server.port, "/healthz")
        #expect(health.status == 200 && health.body.contains("ok"))
        #expect(try await Self.get(server.port, "/readyz").status == 200)
        // Stopping the features closes the store: no longer ready, with a JSON reason.
        await server.running.stopFeatures()
        let ready = try await Self.get(server.port, "/readyz")
        #expect(ready.status == 503)
        let json = try JSONValue.parse(ready.body)
        #expect(json["error"] == "not_ready" && json["error_description"]?.stringValue?.isEmpty == false)
        #expect(try await Self.get(server.port, "/healthz").status == 200)
        await server.running.server.shutdown()
    }

    @Test func aSeparateMetricsListener() async throws {
        let server = try await LiveServer.startWithIdentity { $0.metricsAddress = "127.0.0.1:0" }
        defer { Task { await server.stop() } }
        let metricsPort = try #require(server.running.metricsPort)
        #expect(metricsPort != server.port)
        #expect(try await Self.get(server.port, "/metrics").status == 404)
        #expect(try await Self.get(server.port, "/healthz").status == 404)
        _ = try await Self.get(server.port, "/")
        let scraped = try await Self.get(metricsPort, "/metrics")
        #expect(scraped.status == 200)
        #expect(scraped.body.contains("tmi_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 1"))
        #expect(try await Self.get(metricsPort, "/readyz").status == 200)
    }
}
