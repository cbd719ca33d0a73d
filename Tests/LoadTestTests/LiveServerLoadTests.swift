import FoundationEssentials
import RESTGateway
import Testing
import WireProtocol

@testable import LoadTestKit

/// The issue's "short end-to-end run against an in-process server": the assembled TMI server
/// (identity with the test provider, REST, store, collaboration sessions, WebSockets) on a
/// loopback port 0, driven by the load tester through its live transport for about a second.
/// It must converge without errors.
@Suite struct LiveServerLoadTests {
    /// The product with the real identity service (test provider on or off) on port 0: the shared
    /// `LiveServer` of TestSupport, stopped with its features, data directory removed.
    static func withServer(testProvider: Bool = true, _ body: (Int) async throws -> Void) async throws {
        let server = try await LiveServer.startWithIdentity { $0.testProvider = testProvider }
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        do {
            try await body(server.port)
        } catch {
            await server.stop()
            await server.running.stopFeatures()
            throw error
        }
        await server.stop()
        await server.running.stopFeatures()
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

    @Test func withoutTheTestProviderLoginFails() async throws {
        try await Self.withServer(testProvider: false) { port in
            var options = LoadTestOptions()
            options.port = port
            let runner = LoadTestRunner(
                options: options, transport: LiveTransport(host: "127.0.0.1", port: port))
            do {
                _ = try await runner.run()
                Issue.record("the run should not start")
            } catch let error as LoadTestError {
                guard case .login(let message) = error else {
                    Issue.record("expected a login error, got \(error)")
                    return
                }
                #expect(message.hasPrefix("loadtest-0: GET /oauth2/authorize answered 4"))
            }
        }
    }

    @Test func aMissingThreatModelIsASetupError() async throws {
        try await Self.withServer { port in
            var options = LoadTestOptions()
            options.port = port
            options.threatModelID = "00000000-0000-4000-8000-000000000001"
            let runner = LoadTestRunner(
                options: options, transport: LiveTransport(host: "127.0.0.1", port: port))
            do {
                _ = try await runner.run()
                Issue.record("the run should not start")
            } catch let error as LoadTestError {
                guard case .setup(let message) = error else {
                    Issue.record("expected a setup error, got \(error)")
                    return
                }
                #expect(message.contains("404"))
            }
        }
    }
}
