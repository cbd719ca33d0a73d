import TestSupport
import Testing

@testable import WireProtocol

/// A TLS server on 127.0.0.1 port 0 with the test PKI's server certificate, and a client context
/// trusting the test CA.
struct TLSFixture {
    let pki: TestPKI
    let identity: TLSServerIdentity
    let server: HTTPServer
    let port: Int
    let clientContext: TLSContext

    static func start(
        _ responder: any HTTPResponder = EchoResponder(), serving: ((TestPKI) -> TestPKI.Identity)? = nil,
        configure: (inout HTTPServer.Configuration) -> Void = { _ in }
    ) async throws -> TLSFixture {
        let pki = try await TestPKI.generate()
        let served = serving?(pki) ?? pki.server
        let identity = try TLSServerIdentity(
            certificateChainFile: served.certificateFile, privateKeyFile: served.keyFile)
        let (server, port) = try await startServer(responder) { configuration in
            configuration.tls = identity
            configure(&configuration)
        }
        let clientContext = try TLSContext.client(
            TLSClientConfiguration(trustsSystemRoots: false, additionalCAFile: pki.caCertificateFile))
        return TLSFixture(
            pki: pki, identity: identity, server: server, port: port, clientContext: clientContext)
    }

    func client(host: String = "127.0.0.1", context: TLSContext? = nil) -> HTTPClient {
        HTTPClient(host: host, port: port, timeout: .seconds(20), tls: context ?? clientContext)
    }

    func stop() async {
        await server.shutdown()
        pki.remove()
    }
}

/// Sends one GET over an open stream and reads until the response body `expected` has arrived.
func exchange(_ stream: any DeadlineByteStream, target: String) async throws -> String {
    try await stream.write(
        Array("GET \(target) HTTP/1.1\r\nHost: t\r\n\r\n".utf8), deadline: .after(.seconds(20)))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let expected = "GET \(target) "
    while !String(decoding: received, as: UTF8.self).hasSuffix(expected) {
        let n = try await stream.read(into: &buffer, deadline: .after(.seconds(20)))
        if n == 0 { break }
        received += buffer[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
}

/// Reads until the peer closes (0 or an error); returns how many bytes came first.
func readUntilClosed(_ connection: TCPConnection) async -> (bytes: Int, closed: Bool) {
    var buffer = [UInt8](repeating: 0, count: 4096)
    var total = 0
    while true {
        do {
            let n = try await connection.read(into: &buffer, deadline: .after(.seconds(20)))
            if n == 0 { return (total, true) }
            total += n
        } catch {
            return (total, error != .timedOut)
        }
    }
}
