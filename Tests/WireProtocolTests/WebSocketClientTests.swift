import Testing

@testable import WireProtocol

/// Serves one upgrade on a memory pipe: reads the request head the client wrote, answers it with
/// `WebSocketUpgrade`, and runs the upgraded connection, as the HTTP server will.
enum MemoryServer {
    static func serve(
        _ stream: MemoryByteStream, configuration: WebSocketConfiguration,
        handler: @escaping @Sendable (WebSocketConnection) async -> Void
    ) async throws {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = try await stream.read(into: &buffer)
            if n == 0 { return }
            received += buffer[..<n]
        }
        let lines = String(decoding: received, as: UTF8.self).split(separator: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), WebSocketHandshake.trim(line[line.index(after: colon)...]))
        }
        let request = HTTPRequest(
            method: String(requestLine[0]), target: String(requestLine[1]), headers: headers)
        let response = WebSocketUpgrade.respond(to: request, configuration: configuration, handler: handler)
        var head = "HTTP/1.1 \(response.status) \(HTTPStatus.reason(response.status))\r\n"
        for field in response.headers { head += "\(field.name): \(field.value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        try await stream.write(Array(head.utf8) + response.body)
        if let upgrade = response.upgrade { await upgrade(stream) } else { stream.close() }
    }
}

@Suite struct WebSocketClientTests {
    static func roundTrip(
        server serverConfig: WebSocketConfiguration, client clientConfig: WebSocketConfiguration,
        messages: [WebSocketMessage]
    ) async throws -> (echoed: [WebSocketMessage], compression: PerMessageDeflateParameters?) {
        let (a, b) = MemoryByteStream.makePair()
        async let server: Void = MemoryServer.serve(
            a, configuration: serverConfig, handler: WebSocketEcho.handler)
        let result = try await WebSocketClient.connect(
            over: b, host: "memory", path: "/echo", configuration: clientConfig
        ) {
            ws in
            var echoed: [WebSocketMessage] = []
            var iterator = ws.messages.makeAsyncIterator()
            for message in messages {
                try? ws.send(message)
                if let reply = await iterator.next() { echoed.append(reply) }
            }
            return (echoed, ws.compression)
        }
        try await server
        return result
    }

    static let messages: [WebSocketMessage] = [
        .text("hi"), .text(String(repeating: "compress me please ", count: 50)), .binary(Array(0..<255)),
        .binary([UInt8](repeating: 7, count: 70_000)), .text(""), .text(String(repeating: "€𝄞", count: 1000)),
    ]

    @Test func echoRoundTripUncompressed() async throws {
        var config = WebSocketConfiguration()
        config.compression = nil
        let (echoed, compression) = try await Self.roundTrip(
            server: config, client: config, messages: Self.messages)
        #expect(echoed == Self.messages)
        #expect(compression == nil)
    }

    /// Compression both ways: the client compresses what it sends (and the server inflates), the
    /// server compresses the echo (and the client inflates), with context takeover across messages.
    @Test(arguments: [false, true])
    func echoRoundTripCompressed(_ noContextTakeover: Bool) async throws {
        var config = WebSocketConfiguration()
        config.compression?.serverNoContextTakeover = noContextTakeover
        config.compression?.clientNoContextTakeover = noContextTakeover
        let (echoed, compression) = try await Self.roundTrip(
            server: config, client: config, messages: Self.messages + Self.messages)
        #expect(echoed == Self.messages + Self.messages)
        #expect(compression?.serverNoContextTakeover == noContextTakeover)
        #expect(compression?.clientMaxWindowBits == 12)
    }

    @Test func compressedFramesCarryRSV1AndShrink() async throws {
        let h = ServerHarness.make()
        let deflated = WebSocketConnection(
            stream: h.peer.stream, role: .server, configuration: WebSocketConfiguration(),
            deflate: PerMessageDeflateNegotiation.accept(
                offers: WebSocketExtensionOffer.parse(["permessage-deflate"]), configuration: .init())?
                .runtime)
        let big = String(repeating: "abc", count: 100)
        try deflated.send(text: big)
        try deflated.send(text: "tiny")  // below minimumSize: sent plain
        let frames = deflated.state.withLock { $0.outbox }
        #expect(frames[0][0] == 0xC1)  // FIN + RSV1 + text
        #expect(frames[0].count < 40)
        #expect(frames[1][0] == 0x81)  // FIN + text, uncompressed
    }

    @Test func refusedHandshakeThrows() async throws {
        let (a, b) = MemoryByteStream.makePair()
        var serverConfig = WebSocketConfiguration()
        serverConfig.acceptOrigin = { _ in false }
        async let server: Void = MemoryServer.serve(
            a, configuration: serverConfig, handler: WebSocketEcho.handler)
        await #expect(throws: WebSocketError.handshakeFailed("server answered 403")) {
            _ = try await WebSocketClient.handshake(over: b, host: "memory", path: "/echo")
        }
        try await server
    }

    @Test func clientMasksEveryFrame() async throws {
        let (a, b) = MemoryByteStream.makePair()
        let client = WebSocketConnection(stream: b, role: .client, configuration: WebSocketConfiguration())
        try client.send(text: "masked")
        try client.send(EncodedFrame(text: "shared"))
        let frames = client.state.withLock { $0.outbox }
        for frame in frames { #expect(frame[1] & 0x80 != 0) }
        var processor = WebSocketInboundProcessor(options: .make(role: .server))
        #expect(
            processor.process(frames[0] + frames[1]).events == [
                .message(.text("masked")), .message(.text("shared")),
            ])
        a.close()
    }

    /// §4.1: the client fails the connection on any wrong answer to its handshake.
    @Test(
        arguments: [
            ("HTTP/1.1 200 OK", nil, nil, "server answered 200"),
            ("HTTP/1.1 101 Switching Protocols", "wrong", nil, "wrong Sec-WebSocket-Accept"),
            (
                "HTTP/1.1 101 Switching Protocols", nil, "Sec-WebSocket-Protocol: other",
                "server chose a subprotocol we did not offer"
            ),
            (
                "HTTP/1.1 101 Switching Protocols", nil, "Sec-WebSocket-Extensions: x-foo",
                "unexpected Sec-WebSocket-Extensions response"
            ),
        ] as [(String, String?, String?, String)])
    func rejectsBadHandshakeResponse(_ status: String, _ accept: String?, _ extra: String?, _ why: String)
        throws
    {
        let key = "dGhlIHNhbXBsZSBub25jZQ=="
        var head = "\(status)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Accept: \(accept ?? WebSocketHandshake.acceptValue(forKey: key))\r\n"
        if let extra { head += extra + "\r\n" }
        let response = try WebSocketClient.parseHead(Array(head.utf8))
        #expect(throws: WebSocketError.handshakeFailed(why)) {
            try WebSocketClient.validate(response, key: key, configuration: WebSocketConfiguration())
        }
    }
}
