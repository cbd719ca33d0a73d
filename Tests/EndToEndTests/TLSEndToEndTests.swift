import CollabCore
import Foundation
import Glibc
import RESTGateway
import TestSupport
import Testing
import WireProtocol

/// The product served over TLS: https REST, a diagram session over wss, and `tmi-server`'s TLS
/// flags and SIGHUP reload as an operator uses them.
@Suite struct TLSEndToEndTests {
    static let alice = "alice@test.tmi"

    @Test func restAndADiagramSessionOverTLS() async throws {
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = LiveServer.temporaryDirectory()
        configuration.tlsCertificateFile = pki.server.certificateFile
        configuration.tlsKeyFile = pki.server.keyFile
        let app = TMIFeatures.application(configuration: configuration, logger: .discarding) { _ in
            (routes: [], authenticator: EmailTokenAuthenticator())
        }
        let running = try await app.start()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        #expect(running.listeningLine == "listening on https://127.0.0.1:\(running.port)")
        #expect(running.environment.baseURL == "https://127.0.0.1:\(running.port)")

        let tls = try TLSContext.client(TLSClientConfiguration(additionalCAFile: pki.caCertificateFile))
        let client = HTTPClient(port: running.port, timeout: .seconds(20), tls: tls)
        func call(_ method: String, _ target: String, _ body: JSONValue? = nil) async throws -> (
            Int, JSONValue
        ) {
            var headers = HTTPHeaders([("Authorization", "Bearer tok:\(Self.alice)")])
            if body != nil { headers.add("Content-Type", "application/json") }
            let response = try await client.send(
                HTTPRequest(method: method, target: target, headers: headers, body: body?.serialized() ?? []))
            let bytes = response.decodedBody ?? response.body
            return (response.status, bytes.isEmpty ? .null : ((try? JSONValue.parse(bytes)) ?? .null))
        }
        #expect(try await call("GET", "/").0 == 200)
        let tm = try #require(try await call("POST", "/threat_models", ["name": "TLS"]).1["id"]?.stringValue)
        let d = try #require(
            try await call("POST", "/threat_models/\(tm)/diagrams", ["name": "D", "type": "DFD-1.0.0"]).1[
                "id"]?
                .stringValue)
        let (status, session) = try await call("POST", "/threat_models/\(tm)/diagrams/\(d)/collaborate")
        #expect(status == 201)
        #expect(session["websocket_url"]?.stringValue?.hasPrefix("wss://127.0.0.1:\(running.port)/") == true)

        let editor = try await DiagramClient.connect(
            port: running.port, model: tm, diagram: d, email: Self.alice, tls: tls)
        _ = try await editor.next("diagram_state_sync")
        let node = UUIDText.random()
        let cell: JSONValue = [
            "id": .string(node), "shape": "process", "x": 10, "y": 10, "width": 80, "height": 40,
        ]
        let op = try editor.operate(base: 0, [["id": .string(node), "operation": "add", "data": cell]])
        let ack = try await editor.next("diagram_operation") { $0["operation_id"] == .string(op) }
        #expect(ack["update_vector"] == 1)
        editor.close()
        await client.close()
        await running.shutdown()
    }

    static var binary: String? { ServerBinary.path }

    @Test(.enabled(if: binary != nil, "tmi-server is not built beside the tests (swift build)"))
    func tmiServerTLSFlagsAndSIGHUPReload() async throws {
        let binary = try #require(Self.binary)
        let pki = try await TestPKI.generate()
        defer { pki.remove() }
        let data = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }

        // One without the other, and a missing file: exit 2 with one line naming the problem.
        let half = try await TestPKI.runDetached([
            binary, "--port", "0", "--data-dir", data, "--tls-cert", pki.server.certificateFile,
        ])
        #expect(half.status == 2)
        #expect(half.errorText.contains("--tls-cert and --tls-key"))
        let missing = pki.directory + "/nope.pem"
        let bad = try await TestPKI.runDetached([
            binary, "--port", "0", "--data-dir", data, "--tls-cert", missing, "--tls-key", pki.server.keyFile,
        ])
        #expect(bad.status == 2)
        #expect(bad.errorText.contains(missing))
        #expect(bad.errorText.split(separator: "\n").count == 1)

        // A good pair; the files then change and SIGHUP reloads them.
        let certificate = pki.directory + "/live.pem"
        let key = pki.directory + "/live.key"
        try FileManager.default.copyItem(atPath: pki.server.certificateFile, toPath: certificate)
        try FileManager.default.copyItem(atPath: pki.server.keyFile, toPath: key)
        let child = try await TLSChildServer.start(
            binary, ["--port", "0", "--data-dir", data, "--tls-cert", certificate, "--tls-key", key])
        defer { child.stop() }
        #expect(child.listeningLine.hasPrefix("listening on https://127.0.0.1:"))
        let tls = try TLSContext.client(TLSClientConfiguration(additionalCAFile: pki.caCertificateFile))
        let before = try await TLSConnection.connect(
            host: "127.0.0.1", port: child.port, context: tls, deadline: .after(.seconds(20)))
        #expect(before.peerCertificate?.serialHex == "1001")

        let second = try pki.issue(name: "second", serial: 0x2001)
        try Data(contentsOf: URL(fileURLWithPath: second.certificateFile)).write(
            to: URL(fileURLWithPath: certificate))
        try Data(contentsOf: URL(fileURLWithPath: second.keyFile)).write(to: URL(fileURLWithPath: key))
        kill(child.pid, SIGHUP)
        let reloaded = try #require(await child.nextLogLine { $0.contains("tls_certificate_reloaded") })
        #expect(reloaded.contains("2001"))
        let after = try await TLSConnection.connect(
            host: "127.0.0.1", port: child.port, context: tls, deadline: .after(.seconds(20)))
        #expect(after.peerCertificate?.serialHex == "2001")
        // The connection from before the reload still gets answers.
        try await before.write(
            Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), deadline: .after(.seconds(20)))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = try await before.read(into: &buffer, deadline: .after(.seconds(20)))
        #expect(String(decoding: buffer[0..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200"))

        try "garbage".write(toFile: key, atomically: true, encoding: .utf8)
        kill(child.pid, SIGHUP)
        let refused = try #require(await child.nextLogLine { $0.contains("tls_certificate_reload_failed") })
        #expect(refused.contains(key))
        let still = try await TLSConnection.connect(
            host: "127.0.0.1", port: child.port, context: tls, deadline: .after(.seconds(20)))
        #expect(still.peerCertificate?.serialHex == "2001")
        for connection in [before, after, still] { connection.close() }
    }
}

/// `tmi-server` as a child process whose stdout announces the port and whose stderr (JSON log
/// lines) the test reads; every blocking read runs on a thread of its own.
final class TLSChildServer: Sendable {
    let pid: Int32
    let port: Int
    let listeningLine: String
    private let stderr: FileHandle
    private let process: Process

    private init(process: Process, stderr: FileHandle, line: String, port: Int) {
        self.process = process
        self.pid = process.processIdentifier
        self.stderr = stderr
        self.listeningLine = line
        self.port = port
    }

    struct StartFailed: Error { var line: String }

    static func start(_ binary: String, _ arguments: [String]) async throws -> TLSChildServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let line = await onThread { readLine(out.fileHandleForReading.fileDescriptor) } ?? ""
        guard line.hasPrefix("listening on "), let colon = line.lastIndex(of: ":"),
            let port = Int(line[line.index(after: colon)...])
        else {
            process.terminate()
            throw StartFailed(line: line)
        }
        return TLSChildServer(process: process, stderr: err.fileHandleForReading, line: line, port: port)
    }

    /// The next stderr line satisfying `match`; nil if the process ends first.
    func nextLogLine(_ match: @escaping @Sendable (String) -> Bool) async -> String? {
        let fd = stderr.fileDescriptor
        return await Self.onThread {
            while let line = Self.readLine(fd) {
                if match(line) { return line }
            }
            return nil
        }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// One line from `fd` (blocking, a byte at a time: only a few short lines are read).
    private static func readLine(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    private static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
