import Foundation
import Glibc
import TestSupport
import Testing

@testable import WireProtocol

/// Certificate reload on SIGHUP, and WebSocket over TLS.
@Suite(.serialized) struct TLSReloadAndWebSocketTests {
    struct Upgrader: HTTPResponder {
        func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
            if request.target == "/echo" {
                return WebSocketEcho.respond(to: request, configuration: WebSocketConfiguration())
            }
            return await EchoResponder().respond(to: request, connection: connection)
        }
    }

    @Test func sighupReloadKeepsOpenConnectionsAndServesTheNewCertificate() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let second = try pki.issue(name: "second", commonName: "localhost", serial: 0x2001)
        // The operator's files: start with the first certificate.
        let certificate = pki.directory + "/live.pem"
        let key = pki.directory + "/live.key"
        try FileManager.default.copyItem(atPath: pki.server.certificateFile, toPath: certificate)
        try FileManager.default.copyItem(atPath: pki.server.keyFile, toPath: key)
        let identity = try TLSServerIdentity(certificateChainFile: certificate, privateKeyFile: key)
        let (server, port) = try await startServer(Upgrader()) { $0.tls = identity }
        let context = try TLSContext.client(
            TLSClientConfiguration(trustsSystemRoots: false, additionalCAFile: pki.caCertificateFile))
        func connect() async throws -> TLSConnection {
            try await TLSConnection.connect(
                host: "127.0.0.1", port: port, context: context, deadline: .after(.seconds(20)))
        }

        let (reports, continuation) = AsyncStream<Result<TLSCertificateInfo?, TLSError>>.makeStream()
        let trap = try #require(server.reloadTLSOnHangup { continuation.yield($0) })
        var outcomes = reports.makeAsyncIterator()

        let before = try await connect()
        #expect(before.peerCertificate?.serialHex == "1001")
        #expect(try await exchange(before, target: "/one").hasSuffix("GET /one "))

        // Replace the files and signal: new handshakes get the new certificate.
        try Data(contentsOf: URL(fileURLWithPath: second.certificateFile)).write(
            to: URL(fileURLWithPath: certificate))
        try Data(contentsOf: URL(fileURLWithPath: second.keyFile)).write(to: URL(fileURLWithPath: key))
        kill(getpid(), SIGHUP)
        let reloaded = await outcomes.next()
        #expect(try reloaded?.get()?.serialHex == "2001")

        let after = try await connect()
        #expect(after.peerCertificate?.serialHex == "2001")
        #expect(try await exchange(after, target: "/two").hasSuffix("GET /two "))
        // The connection opened before the reload still works.
        #expect(try await exchange(before, target: "/three").hasSuffix("GET /three "))

        // A broken file: the old certificate stays, and the reason names the file.
        try "not a certificate".write(toFile: certificate, atomically: true, encoding: .utf8)
        kill(getpid(), SIGHUP)
        let refused = await outcomes.next()
        guard case .failure(.configuration(let why)) = refused else {
            Issue.record("expected a configuration failure, got \(String(describing: refused))")
            return
        }
        #expect(why.contains(certificate))
        let still = try await connect()
        #expect(still.peerCertificate?.serialHex == "2001")
        #expect(identity.certificate?.serialHex == "2001")

        withExtendedLifetime(trap) {}
        for connection in [before, after, still] { connection.close() }
        await server.shutdown()
    }

    @Test(arguments: [false, true])
    func webSocketEchoOverTLS(_ compressed: Bool) async throws {
        let fixture = try await TLSFixture.start(Upgrader())
        var configuration = WebSocketConfiguration()
        if !compressed { configuration.compression = nil }
        let big = String(repeating: "τ-diagram ", count: 20_000)
        let messages = [WebSocketMessage.text("hello"), .text(big), .binary(Array(0..<200))]
        let replies = try await WebSocketClient.connect(
            host: "127.0.0.1", port: fixture.port, path: "/echo", configuration: configuration,
            tls: fixture.clientContext
        ) { ws in
            var iterator = ws.messages.makeAsyncIterator()
            var replies: [WebSocketMessage] = []
            for message in messages {
                try? ws.send(message)
                if let reply = await iterator.next() { replies.append(reply) }
            }
            return replies
        }
        #expect(replies == messages)
        await fixture.stop()
    }

    @Test func wssToAnUntrustedServerFailsTheHandshakeWithTheReason() async throws {
        let fixture = try await TLSFixture.start(Upgrader())
        let other = try TLSContext.client(
            TLSClientConfiguration(
                trustsSystemRoots: false, additionalCAFile: fixture.pki.otherCACertificateFile))
        await #expect {
            _ = try await WebSocketClient.handshake(
                host: "127.0.0.1", port: fixture.port, path: "/echo", tls: other)
        } throws: { error in
            guard case .handshakeFailed(let why) = error as? WebSocketError else { return false }
            return why.contains("certificate verification failed")
        }
        await fixture.stop()
    }
}
