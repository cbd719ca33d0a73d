import CollabCore
import RESTGateway
import Testing
import WireProtocol

/// The operator console's server side (docs/console.md): the page and its CSP, the live feed of
/// sessions filtered by access, and the read-only observer socket.
@Suite struct ConsoleEndToEndTests {
    static let alice = "alice@test.tmi"
    static let bob = "bob@test.tmi"
    static let carol = "carol@test.tmi"

    static func node(_ id: String, label: String) -> JSONValue {
        [
            "id": .string(id), "shape": "process", "x": 10, "y": 10, "width": 80, "height": 40,
            "attrs": ["text": ["text": .string(label)]],
        ]
    }

    /// A model of alice's that `readers` may read, with one diagram.
    static func model(_ server: LiveServer, name: String, readers: [String]) async throws -> (String, String)
    {
        let auth: JSONValue = .array(readers.map { ["subject": .string($0), "role": "reader"] })
        return try await server.makeDiagram(as: alice, model: name, authorization: auth)
    }

    @Test func pageAndAssetsAreServedWithAStrictPolicy() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        for (path, type) in [
            ("/console", "text/html"), ("/console/console.js", "text/javascript"),
            ("/console/console.css", "text/css"),
        ] {
            let client = HTTPClient(port: server.port)
            var headers = HTTPHeaders()
            headers.add("Host", "127.0.0.1:\(server.port)")
            let r = try await client.send(HTTPRequest(method: "GET", target: path, headers: headers))
            await client.close()
            #expect(r.status == 200)
            #expect(r.headers["Content-Type"]?.hasPrefix(type) == true)
            let csp = r.headers["Content-Security-Policy"] ?? ""
            #expect(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"))
            #expect(!csp.contains("unsafe"))
            #expect(!(r.decodedBody ?? r.body).isEmpty)
        }
        // The feed needs a token and a WebSocket.
        #expect(try await server.call("GET", "/console/ws", as: nil).status == 401)
        #expect(try await server.call("GET", "/console/ws", as: Self.alice).status == 426)
    }

    @Test func feedListsOnlyReadableSessionsAndFollowsChanges() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let (shared, d1) = try await Self.model(server, name: "Shared", readers: [Self.bob])
        let a1 = try await DiagramClient.connect(
            port: server.port, model: shared, diagram: d1, email: Self.alice)
        _ = try await a1.next("diagram_state_sync")
        let a2 = try await DiagramClient.connect(
            port: server.port, model: shared, diagram: d1, email: Self.bob)
        _ = try await a2.next("diagram_state_sync")

        let bobFeed = try await DiagramClient.connect(
            port: server.port, target: "/console/ws?token=tok:\(Self.bob)", email: Self.bob)
        let first = try await bobFeed.next("console_sessions") { $0["sessions"]?.arrayValue?.count == 1 }
        let row = try #require(first["sessions"]?.arrayValue?.first)
        #expect(row["diagram_id"] == .string(d1))
        #expect(row["threat_model_name"] == "Shared")
        #expect(row["host"]?["email"] == .string(Self.alice))
        #expect(
            row["participants"]?.arrayValue?.map { $0["user"]?["email"] } == [
                .string(Self.alice), .string(Self.bob),
            ])
        #expect(row["participants"]?.arrayValue?.first?["joined_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(row["viewer_is_host"] == false)
        #expect(first["viewer"]?["email"] == .string(Self.bob))

        // Carol may read nothing: her feed is empty even while sessions are live.
        let carolFeed = try await DiagramClient.connect(
            port: server.port, target: "/console/ws?token=tok:\(Self.carol)", email: Self.carol)
        #expect(try await carolFeed.next("console_sessions")["sessions"] == [])

        // An accepted operation reaches the feed without the console asking.
        let n = UUIDText.random()
        let op = try a1.operate(
            base: 0, [["id": .string(n), "operation": "add", "data": Self.node(n, label: "API")]])
        _ = try await a1.next("diagram_operation") { $0["operation_id"] == .string(op) }
        let after = try await bobFeed.next("console_sessions") {
            $0["sessions"]?.arrayValue?.first?["revision"] == 1
        }
        #expect(after["sessions"]?.arrayValue?.first?["operations_last_minute"] == 1)

        // The session a private model's diagram opens is never listed for bob.
        let (privateModel, privateDiagram) = try await Self.model(server, name: "Hidden", readers: [])
        let hidden = try await DiagramClient.connect(
            port: server.port, model: privateModel, diagram: privateDiagram, email: Self.alice)
        _ = try await hidden.next("diagram_state_sync")
        let aliceFeed = try await DiagramClient.connect(
            port: server.port, target: "/console/ws?token=tok:\(Self.alice)", email: Self.alice)
        _ = try await aliceFeed.next("console_sessions") { $0["sessions"]?.arrayValue?.count == 2 }
        let bobNow = try await bobFeed.next("console_sessions")
        #expect(bobNow["sessions"]?.arrayValue?.map { $0["diagram_id"] } == [.string(d1)])

        // The host ends the session: the feed drops it.
        #expect(
            try await server.call(
                "DELETE", "/threat_models/\(shared)/diagrams/\(d1)/collaborate", as: Self.alice
            ).status == 204)
        _ = try await bobFeed.next("console_sessions") { $0["sessions"] == [] }
        for c in [a1, a2, bobFeed, carolFeed, hidden, aliceFeed] { c.close() }
    }

    @Test func observerSeesEveryOperationSelectionsAndTheEndButIsNoParticipant() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let (tm, d) = try await Self.model(server, name: "Watched", readers: [Self.bob])
        let path = "/console/threat_models/\(tm)/diagrams/\(d)/ws"

        // No session yet: 404; no access: 403.
        #expect(try await server.call("GET", path, as: Self.bob).status == 404)
        let alice = try await DiagramClient.connect(
            port: server.port, model: tm, diagram: d, email: Self.alice)
        _ = try await alice.next("diagram_state_sync")
        #expect(try await server.call("GET", path, as: Self.carol).status == 403)
        await #expect(throws: (any Error).self) {
            _ = try await DiagramClient.connect(
                port: server.port, target: path + "?token=tok:\(Self.carol)", email: Self.carol)
        }

        let watcher = try await DiagramClient.connect(
            port: server.port, target: path + "?token=tok:\(Self.bob)", email: Self.bob)
        _ = try await watcher.next("diagram_state_sync")
        let list = try await watcher.next("participants_update")
        #expect(list["participants"]?.arrayValue?.count == 1)  // the watcher is not a participant

        let n = UUIDText.random()
        let op = try alice.operate(
            base: 0, [["id": .string(n), "operation": "add", "data": Self.node(n, label: "DB")]])
        let seen = try await watcher.next("diagram_operation") { $0["operation_id"] == .string(op) }
        #expect(seen["update_vector"] == 1)
        try alice.send(["message_type": "presenter_selection", "selected_cells": [.string(n)]])
        let selection = try await watcher.next("participant_selection")
        #expect(selection["user"]?["email"] == .string(Self.alice))
        #expect(selection["selected_cells"] == [.string(n)])
        try alice.send(["message_type": "presenter_cursor", "cursor_position": ["x": 3, "y": 4]])
        #expect(try await watcher.next("presenter_cursor")["cursor_position"] == ["x": 3, "y": 4])

        // Anything the watcher sends is ignored: it cannot edit.
        try watcher.send([
            "message_type": "diagram_operation", "operation_id": "x",
            "operation": ["type": "patch", "cells": [["id": .string(n), "operation": "remove"]]],
        ])
        let live = try await server.call("GET", "/threat_models/\(tm)/diagrams/\(d)", as: Self.alice)
        #expect(live.json["cells"]?.arrayValue?.count == 1)

        #expect(
            try await server.call("DELETE", "/threat_models/\(tm)/diagrams/\(d)/collaborate", as: Self.alice)
                .status == 204)
        #expect(try await watcher.next("error")["error"] == "session_ended")
        alice.close()
        watcher.close()
    }
}
