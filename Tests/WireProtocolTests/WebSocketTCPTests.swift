import Testing

@testable import WireProtocol

/// The WebSocket layer behind the real HTTP server and TCP sockets on loopback.
@Suite struct WebSocketTCPTests {
    struct Upgrader: HTTPResponder {
        func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
            WebSocketEcho.respond(to: request, configuration: WebSocketConfiguration())
        }
    }

    @Test(arguments: [false, true])
    func echoOverTCP(_ compressed: Bool) async throws {
        let (server, port) = try await startServer(Upgrader())
        var config = WebSocketConfiguration()
        if !compressed { config.compression = nil }
        let big = String(repeating: "τ-diagram ", count: 20_000)
        let (replies, negotiated) = try await WebSocketClient.connect(
            host: "127.0.0.1", port: port, path: "/echo", configuration: config
        ) { ws in
            var iterator = ws.messages.makeAsyncIterator()
            var replies: [WebSocketMessage] = []
            for message in [WebSocketMessage.text("hello"), .text(big), .binary(Array(0..<200))] {
                try? ws.send(message)
                if let reply = await iterator.next() { replies.append(reply) }
            }
            return (replies, ws.compression != nil)
        }
        #expect(replies == [.text("hello"), .text(big), .binary(Array(0..<200))])
        #expect(negotiated == compressed)
        await server.shutdown()
    }

    @Test func plainGETOnWebSocketPathIsRefused() async throws {
        let (server, port) = try await startServer(Upgrader())
        let client = HTTPClient(host: "127.0.0.1", port: port)
        let response = try await client.get("/echo")
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self).contains("\"error\":\"invalid_request\""))
        await client.close()
        await server.shutdown()
    }
}
