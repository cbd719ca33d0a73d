/// A dedicated throwaway cluster from `scripts/pg-test-cluster` (a `TestService`), for fault
/// tests that stop and start the server without disturbing the shared one. Costs an initdb (a
/// few seconds).
public struct PostgresTestCluster: Sendable {
    public let server: TestService

    public var environment: [String: String] { server.environment }
    public var url: String { environment["TMI_TEST_DATABASE_URL"] ?? "" }
    public var directory: String { server.directory }

    public static func start() async throws -> PostgresTestCluster {
        PostgresTestCluster(
            server: try await TestService.start(
                "pg-test-cluster", requiring: "TMI_TEST_DATABASE_URL", directoryVariable: "TMI_TEST_PG_DIR"))
    }

    /// Stops the server, keeping its data (`pg_ctl stop -m fast`: clients get 57P01 and EOF).
    public func halt() async throws { try await server.control("halt") }

    /// Starts a halted server again on the same port.
    public func resume() async throws { try await server.control("resume") }

    /// Stops the server and removes its directory.
    public func remove() async { await server.remove() }
}
