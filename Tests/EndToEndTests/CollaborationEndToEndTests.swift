import CollabCore
import Foundation
import RESTGateway
import Testing

/// Two users edit one diagram over real WebSockets against the whole server; REST sees the live
/// state; a restart keeps every acknowledged operation.
@Suite struct CollaborationEndToEndTests {
    static let alice = "alice@test.tmi"
    static let bob = "bob@test.tmi"

    static func node(_ id: String, x: Double, label: String) -> JSONValue {
        [
            "id": .string(id), "shape": "process", "x": .number(x), "y": 40, "width": 120, "height": 60,
            "attrs": ["text": ["text": .string(label)]],
        ]
    }

    @Test(arguments: TestStore.all)
    func twoEditorsConvergeAndSurviveARestart(store: TestStore) async throws {
        defer { Task { await store.destroy() } }
        let server = try await LiveServer.start(store: store)
        let auth: JSONValue = [["subject": .string(Self.bob), "role": "writer"]]
        let (tm, d) = try await server.makeDiagram(as: Self.alice, model: "Shop", authorization: auth)

        let a = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.alice)
        let sync = try await a.next("diagram_state_sync")
        #expect(sync["update_vector"] == 0)
        let b = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.bob)
        _ = try await b.next("diagram_state_sync")
        _ = try await a.next("participant_joined")

        // Alice adds a node; both see revision 1, the sender's copy being its acknowledgement.
        let n = UUIDText.random()
        let addID = try a.operate(
            base: 0, [["id": .string(n), "operation": "add", "data": Self.node(n, x: 10, label: "API")]])
        let ack = try await a.next("diagram_operation") { $0["operation_id"] == .string(addID) }
        #expect(ack["update_vector"] == 1)
        _ = try await b.next("diagram_operation") { $0["operation_id"] == .string(addID) }

        // Concurrent edits on revision 1: alice moves, bob relabels. Both survive.
        let move = try a.operate(
            base: 1, [["id": .string(n), "operation": "update", "data": Self.node(n, x: 300, label: "API")]])
        let relabel = try b.operate(
            base: 1,
            [["id": .string(n), "operation": "update", "data": Self.node(n, x: 10, label: "Gateway")]])
        // The two connections race to the session: either may be sequenced first, so each client
        // takes both broadcasts in whichever order they come (waiting for one id at a time would
        // skip, and so lose, the other when it arrives first).
        for client in [a, b] {
            var remaining: Set<String> = [move, relabel]
            while !remaining.isEmpty {
                let pending = remaining
                let m = try await client.next("diagram_operation") {
                    pending.contains($0["operation_id"]?.stringValue ?? "")
                }
                remaining.remove(m["operation_id"]?.stringValue ?? "")
            }
        }
        let live = try await server.call("GET", "/threat_models/\(tm)/diagrams/\(d)", as: Self.bob)
        let cell = try #require(live.json["cells"]?.arrayValue?.first)
        #expect(cell["x"] == 300)
        #expect(cell["attrs"]?["text"]?["text"] == "Gateway")
        #expect(live.json["update_vector"] == 3)

        // A REST write to the live diagram reaches the participants as an operation.
        var body = try #require(live.json.objectValue)
        body["cells"] = .array([])
        #expect(
            try await server.call(
                "PUT", "/threat_models/\(tm)/diagrams/\(d)", as: Self.alice, body: .object(body)
            ).status == 200)
        let removal = try await b.next("diagram_operation")
        #expect(removal["operation"]?["cells"]?.arrayValue?.first?["operation"] == "remove")

        let sessions = try await server.call("GET", "/collaboration/sessions", as: Self.bob)
        #expect(sessions.json.arrayValue?.first?["participants"]?.arrayValue?.count == 2)
        #expect(try await server.call("GET", "/collaboration/sessions", as: "mallory@test.tmi").json == [])

        a.close()
        b.close()
        let before = try await server.call("GET", "/threat_models/\(tm)/diagrams/\(d)", as: Self.alice).json
        await server.stop()
        let again = try await LiveServer.start(dataDirectory: server.dataDirectory, store: store)
        let after = try await again.call("GET", "/threat_models/\(tm)/diagrams/\(d)", as: Self.alice).json
        #expect(after["cells"] == before["cells"])
        #expect(after["update_vector"] == before["update_vector"])
        await again.stop()
        try? FileManager.default.removeItem(atPath: server.dataDirectory)
    }

    @Test(arguments: TestStore.all)
    func collaborateEndpoints(store: TestStore) async throws {
        defer { Task { await store.destroy() } }
        let server = try await LiveServer.start(store: store)
        defer { Task { await server.stop() } }
        let auth: JSONValue = [["subject": .string(Self.bob), "role": "reader"]]
        let (tm, d) = try await server.makeDiagram(
            as: Self.alice, model: "M", authorization: auth, diagram: "D")
        let path = "/threat_models/\(tm)/diagrams/\(d)/collaborate"
        #expect(try await server.call("GET", path, as: Self.alice).status == 404)
        #expect(try await server.call("PUT", path, as: Self.bob).status == 404)
        let created = try await server.call("POST", path, as: Self.alice)
        #expect(created.status == 201)
        #expect(created.json["host"] == .string(Self.alice))
        #expect(created.json["websocket_url"]?.stringValue?.hasPrefix("ws://127.0.0.1:") == true)
        let again = try await server.call("POST", path, as: Self.bob)
        #expect(again.status == 409)
        #expect(again.json["join_url"] != nil)
        #expect(try await server.call("PUT", path, as: Self.bob).status == 200)
        #expect(try await server.call("GET", path, as: "mallory@test.tmi").status == 403)
        #expect(try await server.call("GET", path, as: nil).status == 401)
        #expect(
            try await server.call(
                "GET", "/threat_models/\(tm)/diagrams/not-a-uuid/collaborate", as: Self.alice
            ).status == 400)
        #expect(try await server.call("DELETE", path, as: Self.bob).status == 204)
        #expect(
            try await server.call("GET", path, as: Self.alice).status == 200,
            "a non-host leaving keeps the session")
        #expect(try await server.call("DELETE", path, as: Self.alice).status == 204)
        #expect(try await server.call("GET", path, as: Self.alice).status == 404)
        #expect(try await server.call("DELETE", path, as: Self.alice).status == 404)
    }
}
