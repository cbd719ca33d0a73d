import CollabCore
import Foundation
import TestSupport
import Testing
import WireProtocol

/// Every node's list agrees (docs/cluster.md "Lists"): two `tmi-server` processes on one
/// PostgreSQL, each with the whole state in memory. What node 0 acknowledged is in node 1's very
/// next `GET /threat_models` (no polling, no waiting): a creation, a rename, a reader added and
/// removed, a deletion; with filters; and in `GET /collaboration/sessions`.
@Suite(.serialized) struct ClusterListEndToEndTests {
    /// The ids in `user`'s list on node `i` (`query` appended to the path).
    static func listed(_ harness: ClusterHarness, _ i: Int, as user: String = "alice", query: String = "")
        async throws -> [String: JSONValue]
    {
        let reply = try await harness.call(i, "GET", "/threat_models" + query, as: user)
        #expect(reply.status == 200)
        var out: [String: JSONValue] = [:]
        for item in reply.json["data"]?.arrayValue ?? [] {
            if let id = item["id"]?.stringValue { out[id] = item }
        }
        return out
    }

    static func patch(_ harness: ClusterHarness, _ i: Int, _ path: String, _ ops: JSONValue) async throws
        -> Reply
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(harness.token("alice"))")])
        headers.add("Content-Type", "application/json-patch+json")
        return try await Browser.send(
            "PATCH", harness.node(i).baseURL + path, headers: headers, body: ops.serialized())
    }

    @Test(.enabled(if: ClusterFailoverEndToEndTests.canRun, "needs tmi-server, PostgreSQL and redis-server"))
    func whatOneNodeAcknowledgedIsInTheOtherNodesNextList() async throws {
        try await ClusterHarness.start(nodes: 2).running { harness in
            // Both nodes have answered a list (their memory is warm and empty).
            #expect(try await Self.listed(harness, 0).isEmpty)
            #expect(try await Self.listed(harness, 1).isEmpty)

            // Created on node 0: in node 1's next list.
            let created = try await harness.call(0, "POST", "/threat_models", ["name": "Alpha model"])
            #expect(created.status == 201)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await Self.listed(harness, 1)[id]?["name"] == "Alpha model")
            #expect(try await Self.listed(harness, 1, query: "?name=alpha")[id] != nil)

            // A diagram added on node 0 is counted on node 1.
            let diagram = try await harness.call(
                0, "POST", "/threat_models/\(id)/diagrams", ["name": "D", "type": "DFD-1.0.0"])
            #expect(diagram.status == 201)
            #expect(try await Self.listed(harness, 1)[id]?["diagram_count"] == 1)

            // Renamed on node 0: node 1's list shows the new name, and filters by it.
            let renamed = try await Self.patch(
                harness, 0, "/threat_models/\(id)",
                [["op": "replace", "path": "/name", "value": "Beta model"]])
            #expect(renamed.status == 200)
            #expect(try await Self.listed(harness, 1)[id]?["name"] == "Beta model")
            #expect(try await Self.listed(harness, 1, query: "?name=alpha")[id] == nil)
            #expect(try await Self.listed(harness, 1, query: "?name=beta")[id] != nil)

            // Bob sees nothing until a reader grant on node 0; then node 1 lists it for him.
            #expect(try await Self.listed(harness, 1, as: "bob")[id] == nil)
            let granted = try await Self.patch(
                harness, 0, "/threat_models/\(id)",
                [
                    [
                        "op": "add", "path": "/authorization/-",
                        "value": [
                            "principal_type": "user", "provider": "test", "provider_id": "bob@test.tmi",
                            "role": "reader",
                        ],
                    ]
                ])
            #expect(granted.status == 200)
            #expect(try await Self.listed(harness, 1, as: "bob")[id]?["name"] == "Beta model")
            // Node 1 holds the grant in memory (a request naming the model), then it is revoked
            // on node 0: gone from bob's list on node 1.
            #expect(try await harness.call(1, "GET", "/threat_models/\(id)", as: "bob").status == 200)
            let revoked = try await Self.patch(
                harness, 0, "/threat_models/\(id)",
                [["op": "replace", "path": "/authorization", "value": []]])
            #expect(revoked.status == 200)
            #expect(try await Self.listed(harness, 1, as: "bob")[id] == nil)
            #expect(try await Self.listed(harness, 1)[id] != nil)

            // Deleted on node 0 (node 1 holding it in memory): gone from node 1's list.
            #expect(try await harness.call(1, "GET", "/threat_models/\(id)").status == 200)
            #expect(try await harness.call(0, "DELETE", "/threat_models/\(id)").status == 204)
            #expect(try await Self.listed(harness, 1)[id] == nil)
            #expect(try await Self.listed(harness, 0)[id] == nil)

            // The other way round, and a model node 1 has never been asked about.
            let second = try #require(
                try await harness.call(1, "POST", "/threat_models", ["name": "Gamma"]).json["id"]?.stringValue
            )
            #expect(try await Self.listed(harness, 0)[second]?["name"] == "Gamma")
        }
    }
}
