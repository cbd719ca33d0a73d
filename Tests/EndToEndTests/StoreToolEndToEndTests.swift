import CollabCore
import Foundation
import RESTGateway
import TestSupport
import Testing

/// `tmi-server export`, `import` and `migrate` (docs/storage.md): a deployment moves from the
/// embedded store to PostgreSQL and back without a byte of difference.
@Suite struct StoreToolEndToEndTests {
    static let alice = "alice@test.tmi"

    static func tool(_ arguments: [String], stdin: [UInt8] = []) async throws -> String {
        String(
            decoding: try await StoreTool.run(arguments, environment: [:], stdin: { stdin }), as: UTF8.self)
    }

    /// A store with a bit of everything: models, children of every kind, metadata, and a diagram
    /// whose cells came from a live session (operations, not a REST write).
    static func populate(_ server: LiveServer) async throws {
        for m in 0..<3 {
            let tm = try #require(
                try await server.call(
                    "POST", "/threat_models", as: alice, body: ["name": .string("Model \(m)")]
                )
                .json["id"]?.stringValue)
            _ = try await server.call(
                "POST", "/threat_models/\(tm)/metadata", as: alice,
                body: ["key": "team", "value": .string("blue \(m)")])
            for t in 0..<4 {
                _ = try await server.call(
                    "POST", "/threat_models/\(tm)/threats", as: alice,
                    body: [
                        "name": .string("T\(t) \u{1F9EA}"), "severity": "High", "priority": "P1",
                        "mitigated": false,
                        "status": "open", "threat_type": "Spoofing", "score": 5.5,
                    ])
            }
            _ = try await server.call(
                "POST", "/threat_models/\(tm)/documents", as: alice,
                body: ["name": "Spec", "uri": "https://example.test/spec"])
            let d = try #require(
                try await server.call(
                    "POST", "/threat_models/\(tm)/diagrams", as: alice,
                    body: ["name": "DFD", "type": "DFD-1.0.0"]
                ).json["id"]?.stringValue)
            let ws = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: alice)
            _ = try await ws.next("diagram_state_sync")
            for i in 0..<5 {
                let n = UUIDText.random()
                let op = try ws.operate(
                    base: i,
                    [
                        [
                            "id": .string(n), "operation": "add",
                            "data": CollaborationEndToEndTests.node(n, x: Double(i), label: "N\(i)"),
                        ]
                    ])
                _ = try await ws.next("diagram_operation") { $0["operation_id"] == .string(op) }
            }
            ws.close()
        }
    }

    @Test(.enabled(if: TestDatabase.shouldRun, "no PostgreSQL: TMI_TEST_DATABASE_URL is not set"))
    func embeddedToPostgresToEmbeddedIsByteIdentical() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        let source = LiveServer.temporaryDirectory()
        let target = LiveServer.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        let server = try await LiveServer.start(dataDirectory: source)
        try await Self.populate(server)
        await server.stop()

        let first = try await Self.tool(["export", "--data-dir", source])
        #expect(first.contains("\"format\":\"tmi-store-dump\""))
        let file = source + "/dump.json"
        try first.write(toFile: file, atomically: true, encoding: .utf8)
        let pg = ["--database-url", url, "--database-schema", schema]
        let imported = try await Self.tool(["import", file] + pg)
        #expect(imported.hasPrefix("imported 3 threat models"))
        let second = try await Self.tool(["export"] + pg)
        #expect(second == first)
        _ = try await Self.tool(["import", "-", "--data-dir", target], stdin: Array(second.utf8))
        let third = try await Self.tool(["export", "--data-dir", target])
        #expect(third == first)

        // A store that already holds threat models is not merged into.
        await #expect(throws: StoreTool.Failure.self) {
            _ = try await Self.tool(["import", file] + pg)
        }
        // The imported PostgreSQL store serves the same models.
        let again = try await LiveServer.start(store: .postgresql(schema: schema))
        let list = try await again.call("GET", "/threat_models", as: Self.alice)
        #expect(list.json["data"]?.arrayValue?.count == 3)
        await again.stop()
    }

    @Test func aDumpThatIsNotOneIsRefused() async throws {
        let dir = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect(throws: StoreTool.Failure.self) {
            _ = try await Self.tool(["import", "-", "--data-dir", dir], stdin: Array(#"{"models":[]}"#.utf8))
        }
        await #expect(throws: StoreTool.Failure.self) {
            _ = try await Self.tool(["import", "-", "--data-dir", dir], stdin: Array("not json".utf8))
        }
        let empty = try await Self.tool(["export", "--data-dir", dir])
        #expect(empty == #"{"format":"tmi-store-dump","threat_models":[],"version":1}"# + "\n")
    }

    @Test(.enabled(if: TestDatabase.shouldRun, "no PostgreSQL: TMI_TEST_DATABASE_URL is not set"))
    func migrateAppliesEachVersionOnce() async throws {
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        let pg = ["--database-url", try TestDatabase.requireURL(), "--database-schema", schema]
        #expect(
            try await Self.tool(["migrate"] + pg)
                == "schema at version 13; applied now: 1, 2, 10, 11, 12, 13\n")
        #expect(try await Self.tool(["migrate"] + pg) == "schema at version 13; applied now: none\n")
        await #expect(throws: StoreTool.Failure.self) { _ = try await Self.tool(["migrate"]) }
    }
}
