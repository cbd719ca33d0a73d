import Testing

@testable import WireProtocol

/// The client against a scripted raw server, to cover the response framings a real server may use.
@Suite struct HTTPClientTests {
    /// Accepts one connection and answers each request head with the next canned reply;
    /// `closeAfter` closes the connection after that many replies.
    static func scriptedServer(_ replies: [String], closeAfter: Int? = nil) async throws -> (
        TCPListener, Task<[String], any Error>
    ) {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let task = Task {
            var heads: [String] = []
            var pending = replies[...]
            while !pending.isEmpty {
                let connection = try await listener.accept()
                var parser = HTTPParser(mode: .request)
                var buffer = [UInt8](repeating: 0, count: 4096)
                var served = 0
                serving: while !pending.isEmpty {
                    while let event = try parser.next() {
                        guard case .head(let head) = event else { continue }
                        heads.append("\(head.method) \(head.target) \(head.headers["host"] ?? "")")
                        try await connection.write(Array(pending.removeFirst().utf8))
                        served += 1
                        if served == closeAfter { break serving }
                    }
                    let n = try await connection.read(into: &buffer)
                    if n == 0 { break }
                    parser.feed(buffer[0..<n])
                }
                connection.close()
            }
            return heads
        }
        return (listener, task)
    }

    @Test func contentLengthChunkedAndInterimResponsesOnOneConnection() async throws {
        let (listener, script) = try await Self.scriptedServer([
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
        ])
        let client = HTTPClient(port: listener.port)
        let first = try await client.get("/a")
        #expect(first.status == 200)
        #expect(first.text == "hello")
        let second = try await client.send(HTTPRequest(method: "POST", target: "/b", body: Array("x".utf8)))
        #expect(second.status == 201)
        #expect(second.text == "abcde")
        #expect(second.trailers["x-sum"] == "5")
        #expect(try await client.get("/c").status == 204)
        await client.close()
        #expect(
            try await script.value == [
                "GET /a 127.0.0.1:\(listener.port)", "POST /b 127.0.0.1:\(listener.port)",
                "GET /c 127.0.0.1:\(listener.port)",
            ])
        listener.close()
    }

    @Test func closeDelimitedResponseAndHeadResponse() async throws {
        let (listener, script) = try await Self.scriptedServer(
            ["HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nuntil close"],
            closeAfter: 2)
        let client = HTTPClient(port: listener.port)
        let head = try await client.send(HTTPRequest(method: "HEAD", target: "/h"))
        #expect(head.headers["content-length"] == "7")
        #expect(head.body.isEmpty)
        #expect(try await client.get("/c").text == "until close")
        _ = try await script.value
        listener.close()
    }

    @Test func retriesOnceWhenAReusedConnectionWasClosed() async throws {
        let (listener, script) = try await Self.scriptedServer(
            [
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1",
                "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2",
            ],
            closeAfter: 1)
        let client = HTTPClient(port: listener.port)
        #expect(try await client.get("/1").text == "1")
        #expect(try await client.get("/2").text == "2")
        #expect(try await script.value.count == 2)
        listener.close()
    }

    @Test func malformedResponseIsAnError() async throws {
        let (listener, _) = try await Self.scriptedServer(["HTTP/1.1 2x0 OK\r\n\r\n"])
        let client = HTTPClient(port: listener.port)
        await #expect(throws: HTTPClientError.self) { _ = try await client.get("/") }
        listener.close()
    }

    @Test func requestSerializationAddsHostAndLength() {
        let bytes = HTTPClient.serialize(
            HTTPRequest(
                method: "PUT", target: "/x", headers: HTTPHeaders([("A", "b")]), body: Array("hey".utf8)),
            host: "example.test", port: 8080)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "PUT /x HTTP/1.1\r\nHost: example.test:8080\r\nA: b\r\nContent-Length: 3\r\n\r\nhey")
    }
}

@Suite struct HTTPClientSharingTests {
    @Test func concurrentSendsOnOneClientTakeTurns() async throws {
        let (server, port) = try await startServer(EchoResponder())
        let client = HTTPClient(port: port)
        let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<50 { group.addTask { (i, try await client.get("/\(i)").text) } }
            return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
        }
        #expect(texts.count == 50)
        #expect(texts.allSatisfy { $0.value == "GET /\($0.key) " })
        #expect(server.connectionCount == 1)
        await client.close()
        await server.shutdown()
    }
}
