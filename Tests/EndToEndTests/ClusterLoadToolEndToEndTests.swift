import CollabCore
import Foundation
import TestSupport
import Testing

/// `tmi-loadtest --url` repeated (issue 14): editors spread over three nodes (so most are
/// relayed to each session's owner), the report carries delivery latency per node and a
/// convergence verdict covering every editor.
@Suite(.serialized) struct ClusterLoadToolEndToEndTests {
    static var loadTool: String? {
        guard let server = ServerBinary.path else { return nil }
        let path = URL(fileURLWithPath: server).deletingLastPathComponent().path + "/tmi-loadtest"
        return access(path, X_OK) == 0 ? path : nil
    }

    @Test(
        .enabled(
            if: ClusterFailoverEndToEndTests.canRun && loadTool != nil,
            "needs tmi-server, tmi-loadtest, PostgreSQL and redis-server"))
    func theLoadToolSpreadsEditorsOverNodesAndReportsEachNode() async throws {
        let tool = try #require(Self.loadTool)
        try await ClusterHarness.start(nodes: 3, firstNodeIsIssuer: true).running { harness in
            let json = try await harness.loadToolReport(tool)
            #expect(json["converged"] == true)
            let byNode = json["delivery_latency_by_node_ms"]?.arrayValue ?? []
            #expect(byNode.count == 3)
            for node in byNode {
                #expect((node["latency"]?["count"]?.doubleValue ?? 0) > 0, "no delivery measured on \(node)")
            }
            #expect((json["delivery_latency_relayed_ms"]?["count"]?.doubleValue ?? 0) > 0)
            #expect((json["delivery_latency_direct_ms"]?["count"]?.doubleValue ?? 0) > 0)
        }
    }
}
