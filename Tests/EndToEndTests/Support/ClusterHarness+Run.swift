import CollabCore
import Foundation
import TestSupport
import Testing

extension ClusterHarness {
    /// Runs `body` with this harness, then shuts the harness down, whether `body` returned or threw.
    func running(_ body: (ClusterHarness) async throws -> Void) async throws {
        do {
            try await body(self)
        } catch {
            await shutdown()
            throw error
        }
        await shutdown()
    }

    /// A short `tmi-loadtest` run (2 diagrams × 6 editors × 2 op/s for 3 s) with one `--url` per
    /// live node, plus `extraArguments`. Expects exit status 0 (showing its output otherwise) and
    /// returns its JSON report.
    func loadToolReport(_ tool: String, extraArguments: [String] = []) async throws -> JSONValue {
        let directory = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = directory + "/report.json"
        let output = directory + "/stdout.txt"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments =
            alive.flatMap { ["--url", url($0)] } + extraArguments + [
                "--diagrams", "2", "--editors", "6", "--rate", "2", "--duration", "3", "--warmup", "1",
                "--json", report, "--quiet",
            ]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let status = await ChildServer.onThread {
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(status == 0, "tmi-loadtest: \((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
        return try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: report))))
    }
}
