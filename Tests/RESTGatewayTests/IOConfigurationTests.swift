import Testing
import WireProtocol

@testable import RESTGateway

/// The I/O settings (`--io-threads`, `--io-idle-polls`) parse from flags and the environment,
/// reject values out of range, and reach the HTTP server's configuration.
@Suite struct IOConfigurationTests {
    static func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws
        -> ServerConfiguration
    {
        guard case .run(let c) = try ServerConfiguration.parse(arguments: arguments, environment: environment)
        else {
            throw ConfigurationError("unexpected help")
        }
        return c
    }

    static func http(_ configuration: ServerConfiguration) -> HTTPServer.Configuration {
        Application(configuration: configuration, logger: .discarding) { _ in
            ServerComponents(routeProviders: [], authenticator: StubAuthenticator())
        }.httpConfiguration
    }

    @Test func idlePollsAndThreadsComeFromFlagsOrTheEnvironment() throws {
        let defaults = try Self.parse([])
        #expect(defaults.ioThreads == nil && defaults.ioIdlePolls == nil)
        #expect(Self.http(defaults).idlePolls == nil && Self.http(defaults).ioThreads == nil)
        let flags = try Self.parse(["--io-threads", "3", "--io-idle-polls=0"])
        #expect(Self.http(flags).ioThreads == 3 && Self.http(flags).idlePolls == 0)
        let env = try Self.parse([], ["TMI_IO_IDLE_POLLS": "100"])
        #expect(Self.http(env).idlePolls == 100)
        #expect(throws: ConfigurationError.self) { try Self.parse(["--io-idle-polls", "-1"]) }
        #expect(throws: ConfigurationError.self) { try Self.parse(["--io-idle-polls", "5000"]) }
        #expect(throws: ConfigurationError.self) { try Self.parse(["--io-idle-polls", "many"]) }
        #expect(ServerConfiguration.helpText.contains("--io-idle-polls"))
    }
}
