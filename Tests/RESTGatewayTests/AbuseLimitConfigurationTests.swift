import Storage
import Testing
import WireProtocol

@testable import RESTGateway

/// The operator's abuse limits reach the HTTP server, and a full disk is told apart from a
/// transient storage failure (docs/fuzzing.md).
@Suite struct AbuseLimitConfigurationTests {
    static func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws
        -> ServerConfiguration
    {
        guard case .run(let c) = try ServerConfiguration.parse(arguments: arguments, environment: environment)
        else {
            throw ConfigurationError("unexpected help")
        }
        return c
    }

    @Test func connectionLimitsHaveDefaultsFlagsAndEnvironment() throws {
        let defaults = try Self.parse([])
        #expect(defaults.maxConnections == 10_000)
        #expect(defaults.maxConnectionsPerIP == 2_000)
        let flags = try Self.parse(["--max-connections", "50", "--max-connections-per-ip=5"])
        #expect(flags.maxConnections == 50 && flags.maxConnectionsPerIP == 5)
        let env = try Self.parse([], ["TMI_MAX_CONNECTIONS": "60", "TMI_MAX_CONNECTIONS_PER_IP": "6"])
        #expect(env.maxConnections == 60 && env.maxConnectionsPerIP == 6)
        #expect(throws: ConfigurationError.self) { try Self.parse(["--max-connections-per-ip", "0"]) }
        let application = Application(configuration: flags, logger: .discarding) { _ in
            ServerComponents(routeProviders: [], authenticator: StubAuthenticator())
        }
        let http = application.httpConfiguration
        #expect(http.maxConnections == 50 && http.maxConnectionsPerIP == 5)
        #expect(ServerConfiguration.helpText.contains("--max-connections-per-ip"))
    }

    @Test func aFullDiskIs507AndOtherStorageFailuresAre503() {
        let full = APIError.storeUnavailable(StoreUnavailable("ENOSPC", isDiskFull: true))
        #expect(full.status == 507 && full.code == "insufficient_storage")
        let other = APIError.storeUnavailable(StoreUnavailable("EIO"))
        #expect(other.status == 503 && other.code == "storage_unavailable")
        #expect(full.headers["retry-after"] != nil)
    }
}
