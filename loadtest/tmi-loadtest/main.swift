// tmi-loadtest: simulated concurrent diagram editors against a TMI server (issue 7).
// Parses options, runs, prints the summary, writes --json/--svg, and exits 0 (pass), 1 (divergence
// or too many errors) or 2 (bad options, unreachable server, failed login).
import Foundation
import LoadTestKit
import WireProtocol

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("tmi-loadtest: \(message)\n".utf8))
    exit(code)
}

let options: LoadTestOptions
do {
    options = try LoadTestOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.message)
}
if options.help {
    print(LoadTestOptions.helpText)
    exit(0)
}

let transport: any LoadTestTransport
// Several nodes (`--url` repeated): one transport each; editors take them in turn.
var nodeTransports: [any LoadTestTransport] = []
do throws(LoadTestError) {
    transport = try LiveTransport.make(options: options)
    for i in options.nodeURLs.indices where options.nodeURLs.count > 1 {
        nodeTransports.append(try LiveTransport.make(options: options.forNode(i)))
    }
} catch {
    fail(error.description)
}

let serverPID = options.serverPID ?? (options.serverIsLocal ? ProcFS.pidListening(onPort: options.port) : nil)

// Idle mode (issue 15): one descriptor per WebSocket, so lift the open-file limit first.
if let idle = options.idleConnections {
    let needed = idle + 256
    if let limit = FileDescriptorLimit.raise(toAtLeast: needed), !limit.reached {
        FileHandle.standardError.write(
            Data(
                ("tmi-loadtest: the open-file limit is \(limit.current) (hard \(limit.hard)), below the \(needed) "
                    + "that --idle \(idle) needs; connections past about \(max(0, limit.current - 256)) will fail\n")
                    .utf8))
    }
    let sample: (@Sendable () -> ProcFS.Sample?)? = serverPID.map { pid in
        { @Sendable in ProcFS.sample(pid: pid) }
    }
    let quiet = options.quiet
    let idleRunner = IdleRunner(options: options, transport: transport, sampleServer: sample) { text in
        if !quiet { FileHandle.standardError.write(Data(text.utf8)) }
    }
    let idleReport: IdleReport
    do { idleReport = try await idleRunner.run() } catch { fail(error.description) }
    print(idleReport.summaryText, terminator: "")
    if let path = options.jsonPath {
        do {
            try Data((idleReport.json.serializedString(sortedKeys: true) + "\n").utf8).write(
                to: URL(fileURLWithPath: path))
        } catch {
            fail("cannot write the report: \(error.localizedDescription)", code: 1)
        }
    }
    exit(idleReport.exitCode)
}
let hooks = LoadTestRunner.Hooks.commandLine(options: options, serverPID: serverPID) { text in
    FileHandle.standardError.write(Data(text.utf8))
}
let runner = LoadTestRunner(
    options: options, transport: transport, hooks: hooks, nodeTransports: nodeTransports)
let interrupts = InterruptHandler {
    FileHandle.standardError.write(Data("\ntmi-loadtest: stopping (Ctrl-C again to quit now)\n".utf8))
    runner.interrupt()
}

let report: Report
do {
    report = try await runner.run()
} catch {
    if !options.quiet { FileHandle.standardError.write(Data("\n".utf8)) }
    fail(error.description)
}
if !options.quiet { FileHandle.standardError.write(Data("\n".utf8)) }
print(report.summaryText, terminator: "")

do {
    if let path = options.jsonPath {
        try Data((report.json.serializedString(sortedKeys: true) + "\n").utf8).write(
            to: URL(fileURLWithPath: path))
    }
    if let path = options.svgPath {
        try Data(report.svg.utf8).write(to: URL(fileURLWithPath: path))
    }
} catch {
    fail("cannot write the report: \(error.localizedDescription)", code: 1)
}
withExtendedLifetime(interrupts) {}
exit(report.exitCode)
