import CollabCore
import Foundation
import TestSupport
import Testing
import WireProtocol

/// Routing between nodes (docs/cluster.md): a REST write to a live diagram arriving at a node
/// that does not own its session is forwarded to the owner and becomes an operation of the
/// session; the collaborate endpoints and the session listing answer the same on every node.
@Suite(.serialized) struct ClusterRoutingEndToEndTests {
    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func aRestWriteOnAnotherNodeBecomesAnOperationOfTheOwnersSession() async throws {
        try await ClusterHarness.start(nodes: 2).running { harness in
            let target = try await harness.makeDiagram(on: 1)
            let a = try await ClusterEditor.join(index: 0, target: target, node: 0, harness: harness)
            let cell: JSONValue = [
                "id": "d0000000-0000-4000-8000-000000000001", "shape": "process", "x": 5, "y": 5, "width": 80,
                "height": 40,
            ]
            var headers = HTTPHeaders([("Authorization", "Bearer \(harness.token("alice"))")])
            headers.add("Content-Type", "application/json-patch+json")
            /// Adds `cell` to the diagram through node 1, which forwards it to the owner.
            func addThroughNode1(_ cell: JSONValue) async throws -> Int {
                let patch: JSONValue = [["op": "add", "path": "/cells/-", "value": cell]]
                return try await Browser.send(
                    "PATCH",
                    harness.node(1).baseURL + "/threat_models/\(target.model)/diagrams/\(target.diagram)",
                    headers: headers, body: patch.serialized()
                ).status
            }
            #expect(try await addThroughNode1(cell) == 200)
            // The editor on the owner receives it as an operation.
            try await within(seconds: 30, "the forwarded write's broadcast") {
                while a.confirmed["d0000000-0000-4000-8000-000000000001"] == nil { try await a.step(harness) }
            }
            #expect(a.confirmed.revision == 1)
            let database = try await harness.databaseDiagram(model: target.model, diagram: target.diagram)
            #expect(database.revision == 1)
            #expect(database.cells["d0000000-0000-4000-8000-000000000001"] != nil)

            // Later forwards reuse node 1's kept-alive connection to the owner: three more writes
            // add at most the metrics reads' own connections to the owner's count, not three.
            func connectionsAccepted() async throws -> Int {
                let text = String(decoding: try await harness.call(0, "GET", "/metrics").body, as: UTF8.self)
                let line = text.split(separator: "\n").first { $0.hasPrefix("tmi_http_connections_total ") }
                return Int(line?.split(separator: " ").last ?? "") ?? -1
            }
            let before = try await connectionsAccepted()
            for n in 2...4 {
                var added = cell
                added["id"] = .string("d0000000-0000-4000-8000-00000000000\(n)")
                #expect(try await addThroughNode1(added) == 200)
            }
            let after = try await connectionsAccepted()
            #expect(before > 0 && after - before <= 2, "forwards opened \(after - before - 1) connections")

            // Both nodes describe the one session, owned by n0, with the editor in it.
            for n in [0, 1] {
                let session = try await harness.call(
                    n, "GET", "/threat_models/\(target.model)/diagrams/\(target.diagram)/collaborate")
                #expect(session.status == 200)
                #expect(session.json["participants"]?.arrayValue?.count == 1)
            }
            let listed = try await within(seconds: 30, "the listing on node 1") {
                while true {
                    let list =
                        try await harness.call(1, "GET", "/collaboration/sessions").json.arrayValue ?? []
                    if let s = list.first(where: { $0["diagram_id"]?.stringValue == target.diagram }),
                        s["participants"]?.arrayValue?.count == 1
                    {
                        return s
                    }
                    // The owner publishes every third of the TTL.
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            #expect(listed["node_id"] == "n0")
            // A second session for the diagram is refused on either node.
            let again = try await harness.call(
                1, "POST", "/threat_models/\(target.model)/diagrams/\(target.diagram)/collaborate")
            #expect(again.status == 409)
        }
    }
}
