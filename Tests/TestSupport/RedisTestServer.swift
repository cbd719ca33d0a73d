import Foundation

/// The Redis that tests run against: `TMI_TEST_REDIS_URL` (`scripts/redis-test-server start`
/// prints it; `.ci/run` exports it), or a dedicated throwaway server a test starts for itself
/// (`RedisTestServer.start()`, for fault tests that stop, restart or freeze it).
///
/// Without redis-server, tests that need Redis fail when `CI` is set and skip locally:
/// `RedisTestServer.availability` says which, with the reason to print.
public struct RedisTestServer: Sendable {
    public let environment: [String: String]

    public var url: String { environment["TMI_TEST_REDIS_URL"] ?? "" }
    /// The ACL-user URL (`redis://tmi:…@`), for a server started with a password.
    public var userURL: String? { environment["TMI_TEST_REDIS_USER_URL"] }
    public var password: String? { environment["TMI_TEST_REDIS_PASSWORD"] }
    public var port: Int { Int(environment["TMI_TEST_REDIS_PORT"] ?? "") ?? 0 }
    public var directory: String { environment["TMI_TEST_REDIS_DIR"] ?? "" }

    public enum Availability: Sendable {
        case available
        /// Skip, printing the reason (local run without redis-server).
        case skipped(reason: String)
        /// Fail with the reason (CI without redis-server).
        case missingInCI(reason: String)
    }

    /// Whether Redis tests can run: redis-server is installed (or a URL is given).
    public static let availability: Availability = {
        let env = ProcessInfo.processInfo.environment
        if let url = env["TMI_TEST_REDIS_URL"], !url.isEmpty { return .available }
        let paths = (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin", "/usr/local/bin"]
        if paths.contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/redis-server") }) {
            return .available
        }
        let reason =
            "redis-server is not installed and TMI_TEST_REDIS_URL is not set (apt-get install redis-server)"
        if let ci = env["CI"], !ci.isEmpty, ci != "0", ci.lowercased() != "false" {
            return .missingInCI(reason: reason)
        }
        print("skipping Redis tests: \(reason)")
        return .skipped(reason: reason)
    }()

    /// True when Redis tests should be listed (they then fail in CI if Redis is missing).
    public static var shouldRun: Bool {
        if case .skipped = availability { return false }
        return true
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The shared server's URL (`TMI_TEST_REDIS_URL`); nil when none is configured (use `start`).
    public static var sharedURL: String? {
        let url = ProcessInfo.processInfo.environment["TMI_TEST_REDIS_URL"]
        return url?.isEmpty == false ? url : nil
    }

    /// Starts a dedicated throwaway server (with a password and an ACL user if asked). Throws
    /// `Missing` when redis-server is not installed.
    public static func start(password: Bool = false) async throws -> RedisTestServer {
        if case .missingInCI(let reason) = availability { throw Missing(description: reason) }
        if case .skipped(let reason) = availability { throw Missing(description: reason) }
        let output = try await run(password ? ["start", "--password"] : ["start"])
        var environment: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            environment[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard environment["TMI_TEST_REDIS_URL"] != nil else {
            throw Missing(description: "redis-test-server printed no URL: \(output)")
        }
        return RedisTestServer(environment: environment)
    }

    /// The shared server when configured, else a dedicated one (`owned` says to remove it).
    public static func sharedOrStart() async throws -> (url: String, owned: RedisTestServer?) {
        if let url = sharedURL { return (url, nil) }
        let server = try await start()
        return (server.url, server)
    }

    /// Stops the server (its data is gone: no persistence). Clients see the connection close.
    public func halt() async throws { _ = try await Self.run(["halt", directory]) }

    /// Starts a halted server again on the same port (empty).
    public func resume() async throws { _ = try await Self.run(["resume", directory]) }

    /// SIGSTOP: the server stops answering but keeps its connections (a hung Redis).
    public func freeze() async throws { _ = try await Self.run(["freeze", directory]) }

    /// SIGCONT after `freeze`.
    public func thaw() async throws { _ = try await Self.run(["thaw", directory]) }

    /// Stops the server and removes its directory.
    public func remove() async { _ = try? await Self.run(["stop", directory]) }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "scripts/redis-test-server"
        ).path

    public struct ScriptFailed: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let output: String
        public var description: String { "redis-test-server \(arguments) exited \(status): \(output)" }
    }

    /// Runs the script with `system()` on a Dispatch thread (it blocks), as `PostgresTestCluster`.
    private static func run(_ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            DispatchQueue.global().async {
                let output = FileManager.default.temporaryDirectory
                    .appendingPathComponent("redis-test-server-\(UUID().uuidString).out").path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let command = ([script] + arguments).map(quote).joined(separator: " ")
                let status = system("bash \(command) >\(quote(output)) 2>&1 </dev/null")
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                if status == 0 {
                    continuation.resume(returning: text)
                } else {
                    continuation.resume(
                        throwing: ScriptFailed(arguments: arguments, status: status, output: text))
                }
            }
        }
    }

    private static func quote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
