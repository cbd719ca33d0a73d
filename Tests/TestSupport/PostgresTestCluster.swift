import Foundation

/// A dedicated throwaway cluster from `scripts/pg-test-cluster`, for fault tests that stop and
/// start the server without disturbing the shared one. Costs an initdb (a few seconds).
public struct PostgresTestCluster: Sendable {
    public let environment: [String: String]

    public var url: String { environment["TMI_TEST_DATABASE_URL"] ?? "" }
    public var directory: String { environment["TMI_TEST_PG_DIR"] ?? "" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "scripts/pg-test-cluster"
        ).path

    public static func start() async throws -> PostgresTestCluster {
        let output = try await run(["start"])
        var environment: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return PostgresTestCluster(environment: environment)
    }

    /// Stops the server, keeping its data (`pg_ctl stop -m fast`: clients get 57P01 and EOF).
    public func halt() async throws { _ = try await Self.run(["halt", directory]) }

    /// Starts a halted server again on the same port.
    public func resume() async throws { _ = try await Self.run(["resume", directory]) }

    /// Stops the server and removes its directory.
    public func remove() async { _ = try? await Self.run(["stop", directory]) }

    public struct ScriptFailed: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let stderr: String
        public var description: String { "pg-test-cluster \(arguments) exited \(status): \(stderr)" }
    }

    /// Runs the script with `system()` on a Dispatch thread (not the cooperative pool: it
    /// blocks), output to a temp file. Foundation's `Process` was seen to never report the exit
    /// of this script inside the test binary, so it is not used here.
    private static func run(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                let output = FileManager.default.temporaryDirectory
                    .appendingPathComponent("pg-test-cluster-\(UUID().uuidString).out").path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let command = ([script] + arguments).map(quote).joined(separator: " ")
                let status = system("bash \(command) >\(quote(output)) 2>&1 </dev/null")
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                if status == 0 {
                    continuation.resume(returning: text)
                } else {
                    continuation.resume(
                        throwing: ScriptFailed(arguments: arguments, status: status, stderr: text))
                }
            }
        }
    }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
