import Glibc
import Testing

@testable import WireProtocol

/// Several I/O loops (`ioThreads`): connections are spread over them in turn, each is served on
/// its own loop's thread for its whole life, and the connection limits count every loop.
@Suite struct HTTPServerIOLoopTests {
    /// Answers with the loop the connection belongs to and the loop whose thread runs the handler.
    struct LoopReporter: HTTPResponder {
        func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
            let running = Poller.current?.index ?? -1
            return HTTPResponse(status: 200, body: Array("\(connection.ioLoop) \(running)".utf8))
        }
    }

    @Test func connectionsAreSpreadOverTheLoopsAndServedOnTheirOwn() async throws {
        let (server, port) = try await startServer(LoopReporter()) { $0.ioThreads = 3 }
        #expect(server.ioLoopCount == 3)
        var clients: [HTTPClient] = []
        var owners: [Int] = []
        for _ in 0..<6 {
            let client = HTTPClient(port: port)
            clients.append(client)
            // Three requests per connection: every one is handled on the connection's loop.
            var answers: Set<String> = []
            for _ in 0..<3 { answers.insert(try await client.get("/").text) }
            #expect(answers.count == 1)
            let parts = answers.first?.split(separator: " ").compactMap { Int($0) } ?? []
            #expect(parts.count == 2 && parts[0] == parts[1], "\(answers)")
            owners.append(parts.first ?? -1)
        }
        // Accepted one after another, the six connections went round the three loops twice.
        #expect(owners == [0, 1, 2, 0, 1, 2])
        #expect(server.connectionsPerLoop == [2, 2, 2])
        for client in clients { await client.close() }
        await server.shutdown()
        #expect(server.connectionsPerLoop == [0, 0, 0])
    }

    /// `idlePolls` reaches every loop of the server (`IdlePolling`), and the loops serve with
    /// polling off and at the default. Loops are shared by the process: the default comes last.
    @Test func theIdlePollsSettingReachesTheServersLoopsWhichServeEitherWay() async throws {
        for polls in [0, IdlePolling.defaultLimit] {
            let (server, port) = try await startServer(LoopReporter()) {
                $0.ioThreads = 2
                $0.idlePolls = polls
            }
            #expect(server.loops.map { $0.idlePollLimit.load(ordering: .relaxed) } == [polls, polls])
            var clients: [HTTPClient] = []
            for _ in 0..<4 {
                let client = HTTPClient(port: port)
                clients.append(client)
                for _ in 0..<3 { #expect(try await client.get("/").status == 200) }
            }
            #expect(server.connectionsPerLoop == [2, 2])
            for client in clients { await client.close() }
            await server.shutdown()
        }
    }

    /// `maxConnections` is one limit for the server, not one per loop: with two loops and a
    /// limit of three, the fourth connection is refused although its loop holds only one.
    @Test func theConnectionLimitCountsEveryLoop() async throws {
        let (server, port) = try await startServer(EchoResponder()) {
            $0.ioThreads = 2
            $0.maxConnections = 3
        }
        var open: [RawClient] = []
        for _ in 0..<3 {
            var raw = try await RawClient.connect(port)
            try await raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await raw.readResponse()?.status == 200)
            open.append(raw)
        }
        #expect(server.connectionsPerLoop.reduce(0, +) == 3)
        #expect(server.connectionsPerLoop.allSatisfy { $0 < 3 })
        var refused = try await RawClient.connect(port)
        let answer = try await refused.readResponse()
        #expect(answer?.status == 503)
        #expect(answer?.text.contains("too many open connections") == true)
        refused.connection.close()
        // A slot freed on either loop admits the next connection.
        open.removeFirst().connection.close()
        var admitted: Int?
        for _ in 0..<100 where admitted == nil {
            var next = try await RawClient.connect(port)
            try? await next.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            if let status = try? await next.readResponse()?.status, status == 200 { admitted = status }
            next.connection.close()
        }
        #expect(admitted == 200)
        for raw in open { raw.connection.close() }
        await server.shutdown()
    }

    @Test func thePerAddressLimitCountsEveryLoop() async throws {
        let (server, port) = try await startServer(EchoResponder()) {
            $0.ioThreads = 2
            $0.maxConnectionsPerIP = 2
        }
        var open: [RawClient] = []
        for _ in 0..<2 {
            var raw = try await RawClient.connect(port)
            try await raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await raw.readResponse()?.status == 200)
            open.append(raw)
        }
        #expect(server.connectionsPerLoop == [1, 1])
        var refused = try await RawClient.connect(port)
        let answer = try await refused.readResponse()
        #expect(answer?.status == 503)
        #expect(answer?.text.contains("from your address") == true)
        refused.connection.close()
        for raw in open { raw.connection.close() }
        await server.shutdown()
    }

    /// Shutdown reaches idle connections on every loop, and a request in progress on another
    /// loop still completes.
    @Test func shutdownClosesIdleConnectionsOnEveryLoop() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.ioThreads = 2 }
        var idle: [RawClient] = []
        for _ in 0..<4 {
            var raw = try await RawClient.connect(port)
            try await raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await raw.readResponse()?.status == 200)
            idle.append(raw)
        }
        #expect(server.connectionsPerLoop == [2, 2])
        await server.shutdown()
        for i in idle.indices {
            #expect(await idle[i].closesWithoutMoreBytes())
            idle[i].connection.close()
        }
        #expect(server.connectionCount == 0)
    }

    @Test func loopsAreSharedAndTheDefaultCountIsPositive() {
        #expect(IOLoops.defaultCount >= 1)
        #expect(IOLoops.loop(0) === Poller.shared)
        let two = IOLoops.first(2)
        #expect(two.map(\.index) == [0, 1])
        #expect(IOLoops.first(2)[1] === two[1])
    }
}
