// tmi-loadtest: simulated concurrent diagram editors against a TMI server (issue 7).
// Parses options, runs, prints the summary, writes --json/--svg, and exits 0 (pass), 1 (divergence
// or too many errors) or 2 (bad options, unreachable server, failed login).
import Foundation
import LoadTestKit

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
do {
    transport = try LiveTransport.make(options: options)
} catch {
    fail(error.description)
}

let serverPID = options.serverPID ?? (options.serverIsLocal ? ProcFS.pidListening(onPort: options.port) : nil)
let hooks = LoadTestRunner.Hooks.commandLine(options: options, serverPID: serverPID) { text in
    FileHandle.standardError.write(Data(text.utf8))
}
let runner = LoadTestRunner(options: options, transport: transport, hooks: hooks)
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
