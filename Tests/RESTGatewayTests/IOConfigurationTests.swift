import Testing
import WireProtocol

@testable import RESTGateway

/// The I/O settings (`--io-threads`, `--io-idle-polls`) parse from flags and the environment,
/// reject values out of range, and reach the HTTP server's configuration.
extension ServerConfigurationTests {
    func http(_ configuration: ServerConfiguration) -> HTTPServer.Configuration {
        Application(configuration: configuration, logger: .discarding) { _ in
            ServerComponents(routeProviders: [], authenticator: StubAuthenticator())
        }.httpConfiguration
    }

    @Test func ioThreadsAndIdlePollsComeFromFlagsOrTheEnvironment() throws {
        let defaults = try parse([])
        #expect(defaults.ioThreads == nil && defaults.ioIdlePolls == nil)
        #expect(http(defaults).idlePolls == nil && http(defaults).ioThreads == nil)
        let flags = try parse(["--io-threads", "3", "--io-idle-polls=0"])
        #expect(http(flags).ioThreads == 3 && http(flags).idlePolls == 0)
        let env = try parse([], ["TMI_IO_IDLE_POLLS": "100"])
        #expect(http(env).idlePolls == 100)
        #expect(throws: ConfigurationError.self) { try parse(["--io-idle-polls", "-1"]) }
        #expect(throws: ConfigurationError.self) { try parse(["--io-idle-polls", "5000"]) }
        #expect(throws: ConfigurationError.self) { try parse(["--io-idle-polls", "many"]) }
        #expect(ServerConfiguration.helpText.contains("--io-idle-polls"))
    }
}
