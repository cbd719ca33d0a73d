import Testing

@testable import WireProtocol

/// `WebSocketClient` never hangs: a server that accepts and then says nothing, or closes without
/// answering, or a port nobody listens on, always ends in an error.
@Suite struct WebSocketClientTimeoutTests {
    static func configuration() -> WebSocketConfiguration {
        var c = WebSocketConfiguration()
        c.handshakeTimeout = .milliseconds(300)
        return c
    }

    @Test func silentListenerTimesOut() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        // Accepts and holds the connection open without writing a byte.
        let held = Task { try await listener.accept() }
        await #expect(throws: WebSocketError.stream(.timedOut)) {
            _ = try await WebSocketClient.handshake(
                host: "127.0.0.1", port: listener.port, path: "/", configuration: Self.configuration())
        }
        try await held.value.close()
        listener.close()
    }

    @Test func connectWithHandlerAlsoReturnsAnError() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let held = Task { try await listener.accept() }
        await #expect(throws: WebSocketError.stream(.timedOut)) {
            _ = try await WebSocketClient.connect(
                host: "127.0.0.1", port: listener.port, configuration: Self.configuration()
            ) { _ in true }
        }
        try await held.value.close()
        listener.close()
    }

    @Test func listenerThatClosesWithoutAnswerFails() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let closer = Task { try await listener.accept().close() }
        await #expect(throws: WebSocketError.self) {
            _ = try await WebSocketClient.handshake(
                host: "127.0.0.1", port: listener.port, configuration: Self.configuration())
        }
        try await closer.value
        listener.close()
    }

    @Test func nobodyListeningFails() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.close()
        await #expect(throws: WebSocketError.self) {
            _ = try await WebSocketClient.handshake(
                host: "127.0.0.1", port: port, configuration: Self.configuration())
        }
    }

    @Test func silentMemoryPeerTimesOut() async throws {
        let (client, server) = MemoryByteStream.makePair()
        await #expect(throws: WebSocketError.stream(.timedOut)) {
            _ = try await WebSocketClient.handshake(
                over: client, host: "x", configuration: Self.configuration())
        }
        server.close()
    }
}
