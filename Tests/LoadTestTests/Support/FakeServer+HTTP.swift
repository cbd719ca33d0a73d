import WireProtocol

@testable import LoadTestKit

/// `FakeServer` behind a real `HTTPServer` on a loopback port, WebSockets included, so the live
/// transport (HTTPClient, upgrade handshake, framing) is exercised over real sockets.
extension FakeServer {
    func serveHTTP() async throws -> HTTPServer {
        let http = HTTPServer(configuration: .init(host: "127.0.0.1", port: 0)) { request in
            await self.respond(request)
        }
        try await http.start()
        return http
    }

    func respond(_ request: HTTPRequest) async -> HTTPResponse {
        if let key = request.headers["sec-websocket-key"],
            request.headers["upgrade"]?.lowercased() == "websocket"
        {
            guard let socket = try? await openWebSocket(target: request.target) else {
                return HTTPResponse(status: 401)
            }
            var headers = HTTPHeaders()
            headers.add("Upgrade", "websocket")
            headers.add("Connection", "Upgrade")
            headers.add("Sec-WebSocket-Accept", WebSocketClientFrames.acceptValue(forKey: key))
            return HTTPResponse(status: 101, headers: headers) { stream in
                await Self.bridge(socket, stream)
            }
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

    /// Pumps text both ways between a fake session socket and the upgraded connection.
    static func bridge(_ socket: any LoadTestSocket, _ stream: any ByteStream) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let text = try? await socket.receive() {
                    let payload = Array(text.utf8)
                    var frame: [UInt8] = [0x81]
                    if payload.count < 126 {
                        frame.append(UInt8(payload.count))
                    } else if payload.count <= 0xFFFF {
                        frame += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
                    } else {
                        frame.append(127)
                        for i in (0..<8).reversed() {
                            frame.append(UInt8(truncatingIfNeeded: payload.count >> (i * 8)))
                        }
                    }
                    do { try await stream.write(frame + payload) } catch { break }
                }
                stream.close()
            }
            group.addTask {
                var decoder = MaskedFrameReader()
                var buffer = [UInt8](repeating: 0, count: 16384)
                reading: while true {
                    guard let n = try? await stream.read(into: &buffer), n > 0 else { break }
                    decoder.bytes += buffer[0..<n]
                    while let (opcode, payload) = decoder.next() {
                        if opcode == 0x8 { break reading }
                        if opcode == 0x1 {
                            try? await socket.send(text: String(decoding: payload, as: UTF8.self))
                        }
                    }
                }
                await socket.close()
            }
        }
    }
}

/// Just enough of a server-side frame reader for the test bridge: whole, masked, unfragmented.
struct MaskedFrameReader {
    var bytes: [UInt8] = []

    mutating func next() -> (UInt8, [UInt8])? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + 4 + length else { return nil }
        let key = Array(bytes[offset..<(offset + 4)])
        let payload = (0..<length).map { bytes[offset + 4 + $0] ^ key[$0 & 3] }
        let opcode = bytes[0] & 0x0F
        bytes.removeFirst(offset + 4 + length)
        return (opcode, payload)
    }
}
