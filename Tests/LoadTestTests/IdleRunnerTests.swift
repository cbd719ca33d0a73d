import Glibc
import Testing

@testable import LoadTestKit

/// `tmi-loadtest --idle N` (issue 15): its flags, and a small run against the real server in
/// which every socket authenticates, joins its session and stays open.
@Suite struct IdleRunnerTests {
    @Test func idleFlagsAreRead() throws {
        let o = try LoadTestOptions.parse([
            "--idle", "10000", "--idle-per-diagram", "200", "--idle-hold", "0", "--deflate", "off",
        ])
        #expect(o.idleConnections == 10000 && o.idlePerDiagram == 200 && o.idleHold == 0 && !o.deflate)
        let defaults = try LoadTestOptions.parse([])
        #expect(defaults.idleConnections == nil && defaults.idlePerDiagram == 100 && defaults.deflate)
        #expect(LoadTestOptions.helpText.contains("--idle N"))
    }

    @Test(arguments: [
        (["--idle", "0"], "--idle must be at least 1"),
        (["--idle-per-diagram", "501"], "--idle-per-diagram must be at most 500"),
        (["--deflate", "maybe"], "--deflate must be on or off"),
        (["--idle", "5", "--step-until-p99-ms", "50"], "--idle creates its own diagrams"),
    ])
    func impossibleIdleOptions(_ arguments: [String], _ expected: String) {
        do {
            _ = try LoadTestOptions.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.message.hasPrefix(expected), "got: \(error.message)")
        }
    }

    /// 25 sockets over three sessions (10, 10, 5), with and without permessage-deflate: all join
    /// and are still open when memory is sampled; the sample is taken (here of the test process,
    /// which hosts the server).
    @Test(arguments: [true, false])
    func idleSocketsJoinAndStayOpen(deflate: Bool) async throws {
        try await LiveServerLoadTests.withServer { port in
            var options = LoadTestOptions()
            options.port = port
            options.url = "http://127.0.0.1:\(port)"
            options.idleConnections = 25
            options.idlePerDiagram = 10
            options.idleHold = 0
            options.deflate = deflate
            let me = getpid()
            let runner = IdleRunner(
                options: options, transport: LiveTransport(host: "127.0.0.1", port: port, deflate: deflate),
                sampleServer: { ProcFS.sample(pid: me) })
            let report = try await runner.run()
            #expect(report.diagrams == 3)
            #expect(report.openFailures == 0, "\(report.firstFailure ?? "")")
            #expect(report.joined == 25 && report.closedEarly == 0)
            // Each socket hears at least its own join state.
            #expect(report.messagesReceived >= 25)
            #expect(report.bytesPerConnection != nil)
            #expect(report.exitCode == 0)
            #expect(report.summaryText.contains("per connection"))
        }
    }
}
