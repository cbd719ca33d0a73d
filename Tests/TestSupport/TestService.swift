import Foundation

/// Whether the tests that need an external service (PostgreSQL, Redis) run. One rule for every
/// service: tests run when the service is named in the environment or can be started here; when
/// it is missing they FAIL if `CI` is set (CI must never pass by skipping) and skip locally, the
/// reason printed once.
public enum TestServiceAvailability: Sendable {
    case available
    /// Skip, printing the reason (a local run without the service).
    case skipped(reason: String)
    /// Fail with the reason (CI without the service).
    case missingInCI(reason: String)

    /// The availability of `service`, given whether it is `present`; prints a local skip's reason.
    static func decide(_ service: String, present: Bool, reason: String) -> Self {
        if present { return .available }
        if TestService.isCI { return .missingInCI(reason: reason) }
        print("skipping \(service) tests: \(reason)")
        return .skipped(reason: reason)
    }

    /// True when the tests should be listed: they then run, or fail in CI for want of the service.
    public var shouldRun: Bool {
        if case .skipped = self { return false }
        return true
    }

    /// Throws the reason unless the service is available (where a missing service must fail).
    public func require() throws(TestService.Missing) {
        switch self {
        case .available: return
        case .skipped(let reason), .missingInCI(let reason): throw TestService.Missing(description: reason)
        }
    }
}

/// A throwaway server started by one of our scripts (`scripts/pg-test-cluster`,
/// `scripts/redis-test-server`) on a free loopback port, for tests that need one of their own (fault
/// tests that stop, restart or freeze it). `start` prints KEY=value lines, kept as `environment`;
/// the other verbs (`halt`, `resume`, `stop`, …) take the server's directory.
public struct TestService: Sendable {
    public let script: String
    public let environment: [String: String]
    /// The variable naming the server's directory, which the script's other verbs take.
    let directoryVariable: String

    public var directory: String { environment[directoryVariable] ?? "" }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    public struct ScriptFailed: Error, CustomStringConvertible {
        public let script: String
        public let arguments: [String]
        public let status: Int32
        public let output: String
        public var description: String { "\(script) \(arguments) exited \(status): \(output)" }
    }

    /// True when `CI` is set to anything but empty, `0` or `false`.
    static var isCI: Bool {
        guard let ci = ProcessInfo.processInfo.environment["CI"] else { return false }
        return !ci.isEmpty && ci != "0" && ci.lowercased() != "false"
    }

    /// The environment variable's value; nil when unset or empty.
    static func configured(_ variable: String) -> String? {
        let value = ProcessInfo.processInfo.environment[variable]
        return value?.isEmpty == false ? value : nil
    }

    /// Whether an executable of that name is on `PATH` (or in /usr/bin, /usr/local/bin).
    public static func isInstalled(_ binary: String) -> Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(binary)") }
    }

    /// Runs `script start ARGUMENTS`; fails unless it printed `requiredVariable`.
    static func start(
        _ script: String, _ arguments: [String] = [], requiring requiredVariable: String,
        directoryVariable: String
    ) async throws -> TestService {
        let output = try await run(script, ["start"] + arguments)
        var environment: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard environment[requiredVariable] != nil else {
            throw Missing(description: "\(script) printed no \(requiredVariable): \(output)")
        }
        return TestService(script: script, environment: environment, directoryVariable: directoryVariable)
    }

    /// Runs one of the script's verbs on this server's directory.
    func control(_ verb: String) async throws { _ = try await Self.run(script, [verb, directory]) }

    /// Stops the server and removes its directory (best effort).
    public func remove() async { try? await control("stop") }

    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts")

    /// Runs a script with `system()` on a Dispatch thread (not the cooperative pool: it blocks),
    /// output to a temp file. Foundation's `Process` was seen to never report the exit of these
    /// scripts inside the test binary, so it is not used here.
    private static func run(_ script: String, _ arguments: [String]) async throws -> String {
        let path = scripts.appendingPathComponent(script).path
        return try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                let output = FileManager.default.temporaryDirectory
                    .appendingPathComponent("\(script)-\(UUID().uuidString).out").path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let command = ([path] + arguments).map(quote).joined(separator: " ")
                let status = system("bash \(command) >\(quote(output)) 2>&1 </dev/null")
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                if status == 0 {
                    continuation.resume(returning: text)
                } else {
                    continuation.resume(
                        throwing: ScriptFailed(
                            script: script, arguments: arguments, status: status, output: text))
                }
            }
        }
    }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
