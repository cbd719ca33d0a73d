import WireProtocol

@testable import LoadTestKit

/// `FakeServer` behind a real `HTTPServer` on a loopback port, WebSockets included (the shared
/// server-side upgrade), so the live transport is exercised over real sockets.
extension FakeServer {
    func serveHTTP() async throws -> HTTPServer {
        let http = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0)) { request in
            await self.respond(request)
        }
        try await http.start()
        return http
    }

    func respond(_ request: HTTPRequest) async -> HTTPResponse {
        if request.headers["upgrade"]?.lowercased() == "websocket" {
            guard let socket = try? await openWebSocket(target: request.target) else {
                return HTTPResponse(status: 401)
            }
            return WebSocketUpgrade.respond(to: request) { ws in await Self.bridge(socket, ws) }
        }
        let headers = request.headers.fields.map { ($0.name, $0.value) }
        guard
            let result = try? await self.request(
                method: request.method, target: request.target, headers: headers, body: request.body)
        else { return HTTPResponse(status: 500) }
        var out = HTTPHeaders()
        for (name, value) in result.headers { out.add(name, value) }
        return HTTPResponse(status: result.status, headers: out, body: result.body)
    }

    /// Pumps text both ways between a fake session socket and the WebSocket connection.
    static func bridge(_ socket: any LoadTestSocket, _ ws: WebSocketConnection) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let text = try? await socket.receive() {
                    do { try ws.send(text: text) } catch { break }
                }
                ws.close()
            }
            for await message in ws.messages {
                if let text = message.text { try? await socket.send(text: text) }
            }
            await socket.close()
        }
    }
}
