import Glibc
import TestSupport
import Testing

@testable import WireProtocol

/// HTTPS on a live server: our client, curl, openssl s_client, and clients that must be refused.
@Suite struct TLSServerTests {
    @Test func httpsGETWithOurClientOnOneKeepAliveConnection() async throws {
        let fixture = try await TLSFixture.start()
        let client = fixture.client()
        let first = try await client.get("/hello")
        let second = try await client.send(
            HTTPRequest(method: "POST", target: "/echo", body: Array("body".utf8)))
        #expect(first.status == 200 && first.text == "GET /hello ")
        #expect(second.text == "POST /echo body")
        // Both requests went over one TLS connection.
        #expect(first.headers["x-connection"] == second.headers["x-connection"])
        // A large response crosses many TLS records.
        let large = try await client.send(
            HTTPRequest(method: "POST", target: "/big", body: [UInt8](repeating: 0x61, count: 1_000_000)))
        #expect(large.body.count == "POST /big ".utf8.count + 1_000_000)
        await client.close()
        #expect(fixture.server.tlsHandshakeFailureCount == 0)
        await fixture.stop()
    }

    @Test func hostnameLocalhostAlsoVerifies() async throws {
        let fixture = try await TLSFixture.start()
        let client = fixture.client(host: "localhost")
        #expect(try await client.get("/named").status == 200)
        await client.close()
        await fixture.stop()
    }

    @Test func curlWithTheTestCAWorksAndWithoutItFails() async throws {
        let fixture = try await TLSFixture.start()
        let url = "https://127.0.0.1:\(fixture.port)/curl"
        let good = try await TestPKI.runDetached([
            "curl", "-sS", "--cacert", fixture.pki.caCertificateFile, url,
        ])
        #expect(good.status == 0, "\(good.errorText)")
        #expect(good.outputText == "GET /curl ")
        let untrusted = try await TestPKI.runDetached(["curl", "-sS", url])
        #expect(untrusted.status == 60, "curl exit 60 is 'peer certificate cannot be authenticated'")
        await fixture.stop()
    }

    @Test func tls11IsRefusedTLS12AndALPNWork() async throws {
        let fixture = try await TLSFixture.start()
        let target = "127.0.0.1:\(fixture.port)"
        // SECLEVEL=0 lets the client offer TLS 1.1 at all, so the refusal is the server's.
        let old = try await TestPKI.runDetached(
            ["openssl", "s_client", "-connect", target, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
        #expect(old.status != 0)
        #expect((old.outputText + old.errorText).contains("alert protocol version"))
        #expect(fixture.server.tlsHandshakeFailureCount == 1)

        let tls12 = try await TestPKI.runDetached(
            [
                "openssl", "s_client", "-connect", target, "-tls1_2", "-alpn", "http/1.1", "-CAfile",
                fixture.pki.caCertificateFile, "-verify_return_error",
            ])
        #expect(tls12.status == 0, "\(tls12.errorText)")
        #expect(tls12.outputText.contains("Protocol  : TLSv1.2"))
        #expect(tls12.outputText.contains("ALPN protocol: http/1.1"))

        // A client that only speaks h2 cannot be served: the ALPN alert of RFC 7301 §3.2.
        let h2 = try await TestPKI.runDetached(["openssl", "s_client", "-connect", target, "-alpn", "h2"])
        #expect(h2.status != 0)
        #expect((h2.outputText + h2.errorText).contains("no application protocol"))
        await fixture.stop()
    }

    @Test func wrongCAWrongHostnameAndExpiryFailWithTheReason() async throws {
        let fixture = try await TLSFixture.start()
        let otherCA = try TLSContext.client(
            TLSClientConfiguration(additionalCAFile: fixture.pki.otherCACertificateFile))
        let untrusting = fixture.client(context: otherCA)
        await #expect(
            throws: HTTPClientError.tls(.verificationFailed("self-signed certificate in certificate chain"))
        ) {
            _ = try await untrusting.get("/")
        }
        await fixture.stop()

        let wrongHost = try await TLSFixture.start(serving: { $0.wrongHost })
        await #expect(
            throws: HTTPClientError.tls(.verificationFailed("IP address mismatch (expected 127.0.0.1)"))
        ) {
            _ = try await wrongHost.client().get("/")
        }
        await #expect(
            throws: HTTPClientError.tls(.verificationFailed("hostname mismatch (expected localhost)"))
        ) {
            _ = try await wrongHost.client(host: "localhost").get("/")
        }
        await wrongHost.stop()

        let expired = try await TLSFixture.start(serving: { $0.expired })
        await #expect(throws: HTTPClientError.tls(.verificationFailed("certificate has expired"))) {
            _ = try await expired.client().get("/")
        }
        await expired.stop()
    }

    @Test func plainHTTPAndGarbageAreClosedAndOthersStillServed() async throws {
        // Garbage shorter than a record header is closed by the handshake timeout, the rest at once.
        let fixture = try await TLSFixture.start(configure: { $0.tlsHandshakeTimeout = .seconds(1) })
        let plain = try await TCPConnection.connect(host: "127.0.0.1", port: fixture.port)
        try await plain.write(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        #expect(await readUntilClosed(plain).closed)
        plain.close()

        var random = SeededRandom(seed: 12)
        for size in [1, 5, 300, 20_000] {
            let garbage = try await TCPConnection.connect(host: "127.0.0.1", port: fixture.port)
            try await garbage.write((0..<size).map { _ in UInt8.random(in: 0...255, using: &random) })
            #expect(await readUntilClosed(garbage).closed, "size \(size)")
            garbage.close()
        }
        // A record header claiming a handshake, then junk.
        let fake = try await TCPConnection.connect(host: "127.0.0.1", port: fixture.port)
        try await fake.write([0x16, 0x03, 0x01, 0x00, 0x20] + [UInt8](repeating: 0xFF, count: 32))
        #expect(await readUntilClosed(fake).closed)
        fake.close()

        let client = fixture.client()
        #expect(try await client.get("/after").text == "GET /after ")
        await client.close()
        #expect(fixture.server.tlsHandshakeFailureCount == 6)
        await fixture.stop()
    }

    @Test func aSilentClientIsClosedByTheHandshakeTimeout() async throws {
        // The server closes the socket before it counts the failure, so the test waits for the
        // failure report (made after the count) rather than reading the counter at once.
        let (failures, reported) = AsyncStream.makeStream(of: String.self)
        let fixture = try await TLSFixture.start(configure: {
            $0.tlsHandshakeTimeout = .milliseconds(200)
            $0.onTLSHandshakeFailure = { peer, _ in reported.yield(peer) }
        })
        let silent = try await TCPConnection.connect(host: "127.0.0.1", port: fixture.port)
        // The read's own deadline (20 s) is far beyond the server's: the server closes first.
        let outcome = await readUntilClosed(silent)
        #expect(outcome.closed && outcome.bytes == 0)
        silent.close()
        var reports = failures.makeAsyncIterator()
        #expect(await reports.next() != nil)
        #expect(fixture.server.tlsHandshakeFailureCount == 1)
        await fixture.stop()
    }
}
