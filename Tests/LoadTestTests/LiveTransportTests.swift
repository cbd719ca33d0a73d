import CollabCore
import Testing
import WireProtocol

@testable import LoadTestKit

/// The live transport over real loopback sockets, against the fake TMI server behind an
/// `HTTPServer`: REST, the WebSocket handshake and framing, and a short full run.
@Suite struct LiveTransportTests {
    @Test func restAndWebSocketRoundTrip() async throws {
        let fake = FakeServer()
        let http = try await fake.serveHTTP()
        let port = try #require(http.port)
        let transport = LiveTransport(host: "127.0.0.1", port: port)
        let api = APIClient(transport: transport, baseURL: "http://127.0.0.1:\(port)")
        let login = try await api.login(hint: "alice")
        #expect(login.user.email == "alice@test.tmi" && login.user.userID == "sub-alice@test.tmi")
        let tm = try await api.createThreatModel(name: "t", owner: login, writers: [])
        let d = try await api.createDiagram(threatModel: tm, name: "d", owner: login)
        let socket = try await transport.openWebSocket(
            target: "/threat_models/\(tm)/diagrams/\(d)/ws?token=\(login.accessToken)")
        let join = try #require(try await socket.receive())
        #expect(SessionMessage.parse(text: join) == .stateSync(cells: [], updateVector: 0))
        let big = String(repeating: "x", count: 70_000)  // a 64-bit length frame, if uncompressed
        let cell: JSONValue = [
            "id": "c1", "shape": "process", "x": 1, "y": 2, "attrs": ["text": ["text": .string(big)]],
        ]
        try await socket.send(
            text: EditorMessage.operation(id: "op1", baseVector: 0, cells: [.add(cell)], user: login.user)
                .text)
        let echoed = SessionMessage.parse(text: try #require(try await socket.receive()))
        guard case .operation(let id, let vector, _, let cells)? = echoed else {
            Issue.record("expected the broadcast, got \(String(describing: echoed))")
            return
        }
        #expect(
            id == "op1" && vector == 1 && cells.first?.data?["attrs"]?["text"]?["text"]?.stringValue == big)
        let state = try await api.diagram(threatModel: tm, diagram: d, login: login)
        #expect(state.vector == 1 && state.cells.count == 1)
        await socket.close()
        await http.shutdown()
    }

    @Test func refusedUpgradeIsAnError() async throws {
        let http = try await FakeServer().serveHTTP()
        let transport = LiveTransport(host: "127.0.0.1", port: try #require(http.port))
        await #expect(throws: TransportFailure.self) {
            try await transport.openWebSocket(target: "/nope/ws?token=x")
        }
        await http.shutdown()
    }

    /// Real clock, real sockets, half a second of load: counts are exact by schedule slot and
    /// every editor converges with the server.
    @Test func shortRunOverLoopback() async throws {
        let fake = FakeServer()
        let http = try await fake.serveHTTP()
        var options = LoadTestOptions()
        options.port = try #require(http.port)
        options.url = "http://127.0.0.1:\(options.port)"
        options.diagrams = 2
        options.editors = 3
        options.rate = 20
        options.duration = 0.5
        options.warmup = 0.2
        let runner = LoadTestRunner(
            options: options, transport: LiveTransport(host: "127.0.0.1", port: options.port))
        let report = try await runner.run()
        #expect(report.opsSent + report.cursorsSent + report.undosSent == 2 * 3 * 10)
        #expect(report.opsAcked + report.totalRejected == report.opsSent)
        #expect(report.errors == 0)
        #expect(report.convergence.converged && report.convergence.editorsChecked == 6)
        #expect(report.delivery.count > 0 && report.delivery.max < 5_000_000)
        await http.shutdown()
    }
}
