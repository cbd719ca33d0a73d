/// The Redis that tests run against: `TMI_TEST_REDIS_URL` (`scripts/redis-test-server start`
/// prints it; `.ci/run` exports it), or a dedicated throwaway server a test starts for itself
/// (`RedisTestServer.start()`, a `TestService`, for fault tests that stop, restart or freeze it).
///
/// Without redis-server, tests that need Redis fail when `CI` is set and skip locally:
/// `RedisTestServer.availability` says which, with the reason to print.
public struct RedisTestServer: Sendable {
    public let server: TestService

    public var environment: [String: String] { server.environment }
    public var url: String { environment["TMI_TEST_REDIS_URL"] ?? "" }
    /// The ACL-user URL (`redis://tmi:…@`), for a server started with a password.
    public var userURL: String? { environment["TMI_TEST_REDIS_USER_URL"] }
    public var password: String? { environment["TMI_TEST_REDIS_PASSWORD"] }
    public var port: Int { Int(environment["TMI_TEST_REDIS_PORT"] ?? "") ?? 0 }
    public var directory: String { server.directory }

    public typealias Missing = TestService.Missing

    /// Whether Redis tests can run: a URL is given, or redis-server is installed to start one.
    public static let availability = TestServiceAvailability.decide(
        "Redis", present: sharedURL != nil || TestService.isInstalled("redis-server"),
        reason:
            "redis-server is not installed and TMI_TEST_REDIS_URL is not set (apt-get install redis-server)")

    /// True when Redis tests should be listed (they then fail in CI if Redis is missing).
    public static var shouldRun: Bool { availability.shouldRun }

    /// The shared server's URL (`TMI_TEST_REDIS_URL`); nil when none is configured (use `start`).
    public static var sharedURL: String? { TestService.configured("TMI_TEST_REDIS_URL") }

    /// Starts a dedicated throwaway server (with a password and an ACL user if asked). Throws
    /// `Missing` when redis-server is not installed.
    public static func start(password: Bool = false) async throws -> RedisTestServer {
        try availability.require()
        let server = try await TestService.start(
            "redis-test-server", password ? ["--password"] : [], requiring: "TMI_TEST_REDIS_URL",
            directoryVariable: "TMI_TEST_REDIS_DIR")
        return RedisTestServer(server: server)
    }

    /// The shared server when configured, else a dedicated one (`owned` says to remove it).
    public static func sharedOrStart() async throws -> (url: String, owned: RedisTestServer?) {
        if let url = sharedURL { return (url, nil) }
        let server = try await start()
        return (server.url, server)
    }

    /// Stops the server (its data is gone: no persistence). Clients see the connection close.
    public func halt() async throws { try await server.control("halt") }

    /// Starts a halted server again on the same port (empty).
    public func resume() async throws { try await server.control("resume") }

    /// SIGSTOP: the server stops answering but keeps its connections (a hung Redis).
    public func freeze() async throws { try await server.control("freeze") }

    /// SIGCONT after `freeze`.
    public func thaw() async throws { try await server.control("thaw") }

    /// Stops the server and removes its directory.
    public func remove() async { await server.remove() }
}
