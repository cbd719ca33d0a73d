import TestSupport
import Testing

@testable import WireProtocol

/// The TLS engine alone: a client and a server engine exchange bytes in memory, no sockets.
@Suite struct TLSEngineTests {
    /// Shared certificates for the suite's tests (generated once per test; cheap).
    struct Pair {
        let pki: TestPKI
        let server: TLSEngine
        let client: TLSEngine
    }

    static func makePair(serverName: String = "127.0.0.1", trust: String? = nil) async throws -> Pair {
        let pki = try await TestPKI.generate()
        let serverContext = try TLSContext.server(
            certificateChainFile: pki.server.certificateFile, privateKeyFile: pki.server.keyFile)
        let clientContext = try TLSContext.client(
            TLSClientConfiguration(trustsSystemRoots: false, additionalCAFile: trust ?? pki.caCertificateFile)
        )
        return Pair(
            pki: pki, server: try TLSEngine(server: serverContext),
            client: try TLSEngine(client: clientContext, serverName: serverName))
    }

    /// Moves output both ways until neither side produces more; `split` feeds each flight in
    /// pieces of that size. Returns the handshake results.
    @discardableResult
    static func pump(_ client: TLSEngine, _ server: TLSEngine, split: Int = .max) throws -> (Bool, Bool) {
        var clientDone = try client.handshake()
        var serverDone = false
        for _ in 0..<20 {
            let toServer = client.takeOutput()
            for piece in chunks(toServer, split) {
                server.feed(piece)
                serverDone = try server.handshake()
            }
            let toClient = server.takeOutput()
            for piece in chunks(toClient, split) {
                client.feed(piece)
                clientDone = try client.handshake()
            }
            if toServer.isEmpty && toClient.isEmpty { break }
        }
        return (clientDone, serverDone)
    }

    static func chunks(_ bytes: [UInt8], _ size: Int) -> [[UInt8]] {
        guard !bytes.isEmpty else { return [] }
        return stride(from: 0, to: bytes.count, by: min(size, bytes.count)).map {
            Array(bytes[$0..<min(bytes.count, $0 + size)])
        }
    }

    /// Reads every plaintext byte the engine can produce from what it was fed.
    static func drain(_ engine: TLSEngine) throws -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1000)
        while true {
            switch try engine.read(into: &buffer) {
            case .bytes(let n): out += buffer[0..<n]
            case .needsInput: return (out, false)
            case .closed: return (out, true)
            }
        }
    }

    @Test func handshakeNegotiatesTLS13AndALPNThenCarriesDataBothWays() async throws {
        let pair = try await Self.makePair()
        defer { pair.pki.remove() }
        let (clientDone, serverDone) = try Self.pump(pair.client, pair.server)
        #expect(clientDone && serverDone)
        #expect(pair.client.negotiatedProtocol == "http/1.1")
        #expect(pair.server.negotiatedProtocol == "http/1.1")
        #expect(pair.client.protocolVersion == "TLSv1.3")
        #expect(
            pair.client.peerCertificate == TLSCertificateInfo(subject: "/CN=localhost", serialHex: "1001"))

        let request = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        try pair.client.write(request)
        pair.server.feed(pair.client.takeOutput())
        #expect(try Self.drain(pair.server).bytes == request)

        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try pair.server.write(large)
        pair.client.feed(pair.server.takeOutput())
        #expect(try Self.drain(pair.client).bytes == large)

        // close_notify ends the client's view of the stream.
        pair.server.close()
        pair.client.feed(pair.server.takeOutput())
        let end = try Self.drain(pair.client)
        #expect(end.closed && end.bytes.isEmpty)
    }

    @Test func everyFlightSplitAtEverySizeStillCompletes() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let serverContext = try TLSContext.server(
            certificateChainFile: pki.server.certificateFile, privateKeyFile: pki.server.keyFile)
        let clientContext = try TLSContext.client(
            TLSClientConfiguration(trustsSystemRoots: false, additionalCAFile: pki.caCertificateFile))
        for split in [1, 2, 3, 5, 7, 13, 64, 200, 511, 1500] {
            let server = try TLSEngine(server: serverContext)
            let client = try TLSEngine(client: clientContext, serverName: "localhost")
            let (c, s) = try Self.pump(client, server, split: split)
            #expect(c && s, "split \(split)")
            // Application data fed one byte at a time arrives whole.
            let message = Array("hello over tls, byte by byte".utf8)
            try client.write(message)
            var received: [UInt8] = []
            for byte in client.takeOutput() {
                server.feed([byte])
                received += try Self.drain(server).bytes
            }
            #expect(received == message, "split \(split)")
        }
    }

    @Test func aCorruptedRecordFailsCleanly() async throws {
        let pair = try await Self.makePair()
        defer { pair.pki.remove() }
        try Self.pump(pair.client, pair.server)
        try pair.client.write(Array("secret".utf8))
        var record = pair.client.takeOutput()
        record[record.count - 3] ^= 0x40
        pair.server.feed(record)
        #expect(throws: TLSError.self) { try Self.drain(pair.server) }
        // The server engine queued an alert for the peer rather than crashing.
        #expect(pair.server.hasOutput)
    }

    @Test func garbageInsteadOfAClientHelloFailsTheHandshake() async throws {
        let pair = try await Self.makePair()
        defer { pair.pki.remove() }
        pair.server.feed(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect {
            _ = try pair.server.handshake()
        } throws: { error in
            guard case .handshakeFailed(let why) = error as? TLSError else { return false }
            return !why.isEmpty
        }
    }

    @Test func untrustedCAWrongNameAndExpiryAreNamed() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        func attempt(_ identity: TestPKI.Identity, trust: String, name: String) throws -> TLSError? {
            let server = try TLSEngine(
                server: try TLSContext.server(
                    certificateChainFile: identity.certificateFile, privateKeyFile: identity.keyFile))
            let client = try TLSEngine(
                client: try TLSContext.client(
                    TLSClientConfiguration(trustsSystemRoots: true, additionalCAFile: trust)),
                serverName: name)
            do {
                try Self.pump(client, server)
                return nil
            } catch let error as TLSError {
                return error
            }
        }
        #expect(
            try attempt(pki.server, trust: pki.otherCACertificateFile, name: "127.0.0.1")
                == .verificationFailed("self-signed certificate in certificate chain"))
        #expect(
            try attempt(pki.wrongHost, trust: pki.caCertificateFile, name: "localhost")
                == .verificationFailed("hostname mismatch (expected localhost)"))
        #expect(
            try attempt(pki.wrongHost, trust: pki.caCertificateFile, name: "127.0.0.1")
                == .verificationFailed("IP address mismatch (expected 127.0.0.1)"))
        #expect(
            try attempt(pki.expired, trust: pki.caCertificateFile, name: "127.0.0.1")
                == .verificationFailed("certificate has expired"))
        #expect(try attempt(pki.server, trust: pki.caCertificateFile, name: "localhost") == nil)
    }

    @Test func badServerFilesAreRefusedWithTheFileNamed() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let missing = pki.directory + "/missing.pem"
        #expect {
            _ = try TLSContext.server(certificateChainFile: missing, privateKeyFile: pki.server.keyFile)
        } throws: { error in
            guard case .configuration(let why) = error as? TLSError else { return false }
            return why.contains(missing) && why.contains("No such file")
        }
        // A key from another certificate does not match.
        #expect {
            _ = try TLSContext.server(
                certificateChainFile: pki.server.certificateFile, privateKeyFile: pki.expired.keyFile)
        } throws: { error in
            guard case .configuration(let why) = error as? TLSError else { return false }
            return why.contains("does not match") && why.contains(pki.expired.keyFile)
        }
        // A key file given as the certificate is not a certificate.
        #expect {
            _ = try TLSContext.server(
                certificateChainFile: pki.server.keyFile, privateKeyFile: pki.server.keyFile)
        } throws: { error in
            guard case .configuration(let why) = error as? TLSError else { return false }
            return why.hasPrefix("cannot load certificate \(pki.server.keyFile)")
        }
        #expect {
            _ = try TLSContext.client(TLSClientConfiguration(additionalCAFile: missing))
        } throws: { error in
            guard case .configuration(let why) = error as? TLSError else { return false }
            return why.contains(missing)
        }
    }
}
