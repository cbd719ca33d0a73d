import Glibc
import Testing

@testable import WireProtocol

/// Serialized: a SIGTERM must never arrive while no trap is installed.
@Suite(.serialized) struct HTTPServerSignalsTests {
    @Test func sigtermShutsTheServerDownGracefully() async throws {
        let (server, port) = try await startServer(EchoResponder())
        let trap = server.shutdownOnTerminationSignals()
        let client = HTTPClient(port: port)
        #expect(try await client.get("/").status == 200)
        // The Dispatch source registers asynchronously; until it does, the signal is ignored, so
        // repeat it until shutdown has begun.
        while !server.registry.isShuttingDown {
            kill(getpid(), SIGTERM)
            await Task.yield()
        }
        await server.waitUntilStopped()
        #expect(server.connectionCount == 0)
        await #expect(throws: StreamError.self) {
            _ = try await TCPConnection.connect(host: "127.0.0.1", port: port)
        }
        withExtendedLifetime(trap) {}
    }

    @Test func droppingTheTrapRestoresTheDefaultAction() {
        var trap: SignalTrap? = SignalTrap.onTermination { _ in }
        var action = sigaction()
        sigaction(SIGTERM, nil, &action)
        #expect(action.__sigaction_handler.sa_handler != nil)
        trap = nil
        sigaction(SIGTERM, nil, &action)
        #expect(action.__sigaction_handler.sa_handler == nil)
        withExtendedLifetime(trap) {}
    }
}
