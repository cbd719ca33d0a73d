import CollabCore
import Foundation
import RESTGateway
import Synchronization
import TestSupport
import Testing
import WireProtocol

/// A real crash (issues 5 and 6, "Must show"): a `tmi-server` child process takes a stream of
/// REST writes (threats) and diagram operations over a WebSocket and is killed with SIGKILL in the
/// middle of it. A new process on the same data directory must load cleanly and hold every write
/// that was acknowledged (a 201) and every operation that was acknowledged (its echo to the
/// sender): DESIGN §6/§7 journal and fsync before acknowledging.
@Suite struct KillNineEndToEndTests {
    /// Writes acknowledged before the kill, of each kind, before the test pulls the trigger.
    static let threshold = 40

    /// What the server acknowledged; the writer that brings both kinds to the threshold kills the
    /// server, so the kill lands mid-stream without any timing.
    final class Acknowledged: Sendable {
        struct State {
            var threats: [String] = []
            var cells: [String] = []
            var killed = false
        }
        let state = Mutex(State())
        let server: ChildServer

        init(server: ChildServer) { self.server = server }

        func record(threat: String? = nil, cell: String? = nil) {
            let kill = state.withLock { s -> Bool in
                if let threat { s.threats.append(threat) }
                if let cell { s.cells.append(cell) }
                guard !s.killed, s.threats.count >= threshold, s.cells.count >= threshold else {
                    return false
                }
                s.killed = true
                return true
            }
            if kill { server.killNow() }
        }

        var killed: Bool { state.withLock { $0.killed } }
    }

    /// One crash trial on one store. The embedded store's crash behaviour is also covered below
    /// the server (`DurableLogKillTests`), so it gets one trial here; PostgreSQL gets
    /// `TMI_KILL9_TRIALS` (default 20), each on a schema of its own, one after another.
    struct Trial: Sendable, CustomStringConvertible {
        var store: TestStore
        var number: Int
        var description: String { "\(store) #\(number)" }

        static var all: [Trial] {
            let trials = ProcessInfo.processInfo.environment["TMI_KILL9_TRIALS"].flatMap { Int($0) } ?? 20
            return TestStore.all.flatMap { store -> [Trial] in
                guard case .postgresql = store else { return [Trial(store: store, number: 1)] }
                return (1...max(1, trials)).map {
                    Trial(store: .postgresql(schema: TestDatabase.freshSchema()), number: $0)
                }
            }
        }
    }

    @Test(
        .enabled(if: ServerBinary.path != nil, "tmi-server is not built beside the tests (swift build)"),
        .serialized, arguments: Trial.all)
    func sigkillLosesNoAcknowledgedWriteOrOperation(trial: Trial) async throws {
        let binary = try #require(ServerBinary.path)
        let directory = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        defer { Task { await trial.store.destroy() } }
        let storeArguments = try trial.store.arguments()
        let first = try await ChildServer.start(
            binary: binary, dataDirectory: directory, arguments: storeArguments)
        let token = try await Self.login(first)
        let model = try #require(
            try await Self.call(first, "POST", "/threat_models", token, ["name": "Crash"]).json["id"]?
                .stringValue)
        let diagram = try #require(
            try await Self.call(
                first, "POST", "/threat_models/\(model)/diagrams", token, ["name": "D", "type": "DFD-1.0.0"]
            ).json["id"]?.stringValue)
        let ws = try await DiagramClient.connect(
            port: first.port, model: model, diagram: diagram, email: "alice", token: token)
        _ = try await ws.next("diagram_state_sync")

        let acks = Acknowledged(server: first)
        try await within(seconds: 120, "the stream up to the kill") {
            async let threats: Void = Self.streamThreats(first, model: model, token: token, into: acks)
            async let operations: Void = Self.streamOperations(ws, into: acks)
            _ = await (threats, operations)
        }
        await first.kill9()
        ws.close()
        let (threats, cells) = acks.state.withLock { ($0.threats, $0.cells) }
        #expect(
            acks.killed, "the stream ended before reaching \(Self.threshold) acknowledgements of each kind")

        let second = try await ChildServer.start(
            binary: binary, dataDirectory: directory, arguments: storeArguments)
        defer { second.killNow() }
        let again = try await Self.login(second)
        let stored = try await Self.allThreats(second, model: model, token: again)
        #expect(Set(stored).count == stored.count, "a threat was recovered twice")
        let lostThreats = Set(threats).subtracting(stored)
        #expect(lostThreats.isEmpty, "\(lostThreats.count) of \(threats.count) acknowledged threats lost")
        let live = try await Self.call(second, "GET", "/threat_models/\(model)/diagrams/\(diagram)", again)
        #expect(live.status == 200)
        let present = Set((live.json["cells"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        let lostCells = Set(cells).subtracting(present)
        #expect(lostCells.isEmpty, "\(lostCells.count) of \(cells.count) acknowledged operations lost")
        #expect(Int(live.json["update_vector"]?.doubleValue ?? 0) >= cells.count)
        // The store takes writes again after recovery.
        #expect(
            try await Self.call(second, "POST", "/threat_models/\(model)/threats", again, Self.threat).status
                == 201)
        await second.kill9()
    }

    static let threat: JSONValue = [
        "name": "Spoofed session", "severity": "High", "priority": "P1", "mitigated": false, "status": "open",
        "threat_type": "Spoofing", "score": 5,
    ]

    /// Creates threats one after another until the server dies (or a bound is reached).
    static func streamThreats(_ server: ChildServer, model: String, token: String, into acks: Acknowledged)
        async
    {
        for _ in 0..<5000 where !Task.isCancelled {
            guard
                let reply = try? await call(server, "POST", "/threat_models/\(model)/threats", token, threat),
                reply.status == 201, let id = reply.json["id"]?.stringValue
            else { return }
            acks.record(threat: id)
        }
    }

    /// Keeps eight node additions in flight, recording each as its echo arrives, until the
    /// connection dies (or a bound is reached).
    static func streamOperations(_ ws: DiagramClient, into acks: Acknowledged) async {
        var inFlight: [String: String] = [:]
        var sent = 0
        while sent < 5000 && !Task.isCancelled {
            while inFlight.count < 8 {
                let cell = UUIDText.random()
                let node: JSONValue = [
                    "id": .string(cell), "shape": "process", "x": .number(Double(sent)), "y": 0, "width": 80,
                    "height": 40,
                ]
                let id = UUIDText.random()
                // No initiating_user: the server takes the socket's identity.
                guard
                    (try? ws.send(DiagramOperationMessage(operationID: id, cells: [.add(node)]).json)) != nil
                else { return }
                inFlight[id] = cell
                sent += 1
            }
            guard let m = try? await ws.nextMessage() else { return }
            if m["message_type"] == "diagram_operation", let id = m["operation_id"]?.stringValue,
                let cell = inFlight.removeValue(forKey: id)
            {
                acks.record(cell: cell)
            }
        }
    }

    /// Logs alice in with the built-in test provider (no client callback: the token JSON).
    static func login(_ server: ChildServer) async throws -> String {
        try await IdentityClient(base: server.baseURL).loginJSON("alice").access
    }

    static func call(
        _ server: ChildServer, _ method: String, _ path: String, _ token: String, _ body: JSONValue? = nil
    )
        async throws -> Reply
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(token)")])
        if body != nil { headers.add("Content-Type", "application/json") }
        return try await Browser.send(
            method, server.baseURL + path, headers: headers, body: body?.serialized() ?? [])
    }

    /// Every threat id of the model, page by page (the spec caps `limit` at 100).
    static func allThreats(_ server: ChildServer, model: String, token: String) async throws -> [String] {
        var ids: [String] = []
        while true {
            let page = try await call(
                server, "GET", "/threat_models/\(model)/threats?limit=100&offset=\(ids.count)", token)
            try #require(page.status == 200)
            let threats = page.json["threats"]?.arrayValue ?? []
            ids += threats.compactMap { $0["id"]?.stringValue }
            if threats.isEmpty { return ids }
        }
    }
}
