import FoundationEssentials
import RESTGateway
import Testing
import WireProtocol

@testable import LoadTestKit

/// The "short end-to-end run against an in-process server": the assembled TMI server
/// (REST, store, collaboration sessions, WebSockets) on a loopback port 0, driven by the load
/// tester through its live transport for about a second. It must converge without errors.
@Suite struct LiveServerLoadTests {
    static func withServer(_ body: (Int) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tmi-loadtest-\(UInt64.random(in: 0...UInt64.max))"
        ).path
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = directory
        try configuration.prepareDataDirectory()
        let application = TMIFeatures.application(configuration: configuration, logger: .discarding) { _ in
            (routes: [TestIdentity()], authenticator: TestIdentity())
        }
        let running = try await application.start()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try await body(running.port)
        } catch {
            await running.shutdown()
            await running.stopFeatures()
            throw error
        }
        await running.shutdown()
        await running.stopFeatures()
    }

    @Test func shortRunConvergesAgainstTheRealServer() async throws {
        try await Self.withServer { port in
            var options = LoadTestOptions()
            options.port = port
            options.url = "http://127.0.0.1:\(port)"
            options.diagrams = 2
            options.editors = 3
            options.rate = 10
            options.duration = 1
            options.warmup = 0.3
            let runner = LoadTestRunner(
                options: options, transport: LiveTransport(host: "127.0.0.1", port: port))
            let report = try await runner.run()
            #expect(report.opsSent + report.cursorsSent + report.undosSent == 2 * 3 * 10)
            #expect(report.opsAcked + report.totalRejected == report.opsSent)
            #expect(report.opsAcked > 0 && report.delivery.count > 0)
            #expect(report.errors == 0, "\(report.errorSamples)")
            #expect(report.convergence.converged, "\(String(describing: report.convergence.difference))")
            #expect(report.convergence.editorsChecked == 6)
            #expect(report.exitCode == 0)
        }
    }

    @Test func wrongCredentialsAreALoginError() async throws {
        try await Self.withServer { port in
            var options = LoadTestOptions()
            options.port = port
            options.userPrefix = "x"
            options.threatModelID = "00000000-0000-4000-8000-000000000001"  // does not exist
            let runner = LoadTestRunner(
                options: options, transport: LiveTransport(host: "127.0.0.1", port: port))
            await #expect(throws: LoadTestError.self) { try await runner.run() }
        }
    }
}
