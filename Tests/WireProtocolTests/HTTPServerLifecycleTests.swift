import Testing

@testable import WireProtocol

/// Timeouts, 100-continue, 413, upgrade, and graceful shutdown against a live server.
@Suite struct HTTPServerLifecycleTests {
    @Test func stalledHeadIsCutOffWhileOthersAreServed() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.headTimeout = .milliseconds(300) }
        var slow = try await RawClient.connect(port)
        try await slow.send("GET /slow HTTP/1.1\r\nHo")
        let client = HTTPClient(port: port)
        for i in 0..<20 {
            #expect(try await client.get("/fast/\(i)").status == 200)
        }
        let answer = try await slow.readResponse()
        #expect(answer?.status == 408)
        #expect(answer?.headers["connection"] == "close")
        #expect(await slow.closesWithoutMoreBytes())
        slow.connection.close()
        await client.close()
        await server.shutdown()
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() async throws {
        let (server, port) = try await startServer(EchoResponder()) { $0.idleTimeout = .milliseconds(200) }
        // The client runs on an I/O loop, like the server: on the shared pool, which the other
        // tests keep busy, it could wait past the idle timeout between its connect and its send.
        try await Task(executorPreference: IOLoops.loop(0)) {
            var raw = try await RawClient.connect(port)
            try await raw.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await raw.readResponse()?.status == 200)
            #expect(await raw.closesWithoutMoreBytes())
            raw.connection.close()
        }.value
        await server.shutdown()
    }

    @Test func expectContinueGets100ThenTheResponse() async throws {
        let (server, port) = try await startServer(EchoResponder())
        var raw = try await RawClient.connect(port)
        try await raw.send("PUT /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        #expect(try await raw.readResponse()?.status == 100)
        try await raw.send("hello")
        #expect(try await raw.readResponse()?.text == "PUT /e hello")
        raw.connection.close()
        await server.shutdown()
    }

    @Test func bodyOverTheLimitGets413BeforeTheBodyAndWithout100() async throws {
        let (server, port) = try await startServer(EchoResponder(limit: 10))
        var expecting = try await RawClient.connect(port)
        try await expecting.send(
            "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n")
        let response = try await expecting.readResponse()
        #expect(response?.status == 413)
        #expect(response?.text.contains("payload_too_large") == true)
        #expect(await expecting.closesWithoutMoreBytes())
        expecting.connection.close()
        // Without Expect, the client starts sending; it still gets the 413, not a reset.
        var eager = try await RawClient.connect(port)
        try await eager.send(
            "PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
                + String(repeating: "z", count: 50_000))
        #expect(try await eager.readResponse()?.status == 413)
        eager.connection.close()
        await server.shutdown()
    }

    @Test func gzipWhenAcceptedAndWorthIt() async throws {
        let json = "[" + (0..<200).map { "{\"id\":\($0),\"name\":\"item\"}" }.joined(separator: ",") + "]"
        let responder = ClosureResponder { request in
            let body = request.target == "/small" ? Array("{}".utf8) : Array(json.utf8)
            return HTTPResponse(
                status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
        }
        let (server, port) = try await startServer(responder)
        let client = HTTPClient(port: port)
        let gzipped = try await client.get(
            "/", headers: HTTPHeaders([("Accept-Encoding", "br;q=1, gzip;q=0.8")]))
        #expect(gzipped.headers["content-encoding"] == "gzip")
        #expect(gzipped.headers["vary"] == "Accept-Encoding")
        #expect(gzipped.body.count < json.utf8.count / 2)
        #expect(gzipped.text == json)
        let refused = try await client.get("/", headers: HTTPHeaders([("Accept-Encoding", "gzip;q=0")]))
        #expect(refused.headers["content-encoding"] == nil)
        #expect(refused.headers["vary"] == "Accept-Encoding")
        #expect(refused.body == Array(json.utf8))
        let small = try await client.get("/small", headers: HTTPHeaders([("Accept-Encoding", "gzip")]))
        #expect(small.headers["content-encoding"] == nil)
        #expect(small.headers["vary"] == nil)
        await client.close()
        await server.shutdown()
    }

    @Test func upgradeHandsOverTheConnectionWithBytesReadPastTheHead() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(
                status: 101, headers: HTTPHeaders([("Connection", "Upgrade"), ("Upgrade", "echo")]),
                upgrade: { stream in
                    var buffer = [UInt8](repeating: 0, count: 64)
                    while let n = try? await stream.read(into: &buffer), n > 0 {
                        try? await stream.write(Array(buffer[0..<n]))
                    }
                })
        }
        let (server, port) = try await startServer(responder)
        var raw = try await RawClient.connect(port)
        try await raw.send("GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly")
        let switched = try await raw.readResponse()
        #expect(switched?.status == 101)
        #expect(switched?.headers["upgrade"] == "echo")
        var echoed = raw.parser.takeBufferedBytes()
        var buffer = [UInt8](repeating: 0, count: 64)
        while echoed.count < 5 {
            let n = try await raw.connection.read(into: &buffer)
            if n == 0 { break }
            echoed += buffer[0..<n]
        }
        #expect(echoed == Array("early".utf8))
        raw.connection.close()
        await server.shutdown()
    }

    @Test func gracefulShutdownFinishesTheRequestInFlight() async throws {
        let started = Gate()
        let release = Gate()
        let responder = ClosureResponder { request in
            if request.target == "/slow" {
                started.open()
                await release.wait()
            }
            return HTTPResponse(status: 200, body: Array("done".utf8))
        }
        let (server, port) = try await startServer(responder)
        var idle = try await RawClient.connect(port)
        try await idle.send("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await idle.readResponse()?.status == 200)
        let client = HTTPClient(port: port)
        async let slow = client.get("/slow")
        await started.wait()
        async let stopped: Void = server.shutdown()
        // The idle keep-alive connection is closed at once; no new connection is accepted.
        #expect(await idle.closesWithoutMoreBytes())
        release.open()
        let response = try await slow
        #expect(response.status == 200)
        #expect(response.text == "done")
        #expect(response.headers["connection"] == "close")
        await stopped
        #expect(server.connectionCount == 0)
        await #expect(throws: StreamError.self) {
            _ = try await TCPConnection.connect(host: "127.0.0.1", port: port)
        }
    }
}
