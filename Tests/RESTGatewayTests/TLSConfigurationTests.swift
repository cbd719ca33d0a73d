import Testing

@testable import RESTGateway

/// `--tls-cert`/`--tls-key` (and `TMI_TLS_CERT`/`TMI_TLS_KEY`): both or neither; with both the
/// default public URL is https.
@Suite struct TLSConfigurationTests {
    func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws(ConfigurationError)
        -> ServerConfiguration
    {
        switch try ServerConfiguration.parse(arguments: arguments, environment: environment) {
        case .run(let configuration): return configuration
        case .help: throw ConfigurationError("unexpected help")
        }
    }

    @Test func bothFilesServeTLSAndMakeTheBaseURLHTTPS() throws {
        let c = try parse(["--tls-cert", "/etc/tmi/chain.pem", "--tls-key=/etc/tmi/key.pem", "--port", "0"])
        #expect(c.tlsCertificateFile == "/etc/tmi/chain.pem" && c.tlsKeyFile == "/etc/tmi/key.pem")
        #expect(c.servesTLS)
        #expect(c.baseURL(boundPort: 8443) == "https://127.0.0.1:8443")
        let fromEnvironment = try parse([], ["TMI_TLS_CERT": "/c.pem", "TMI_TLS_KEY": "/k.pem"])
        #expect(fromEnvironment.servesTLS)
        // An explicit public URL still wins.
        #expect(
            try parse(["--tls-cert", "c", "--tls-key", "k", "--public-url", "https://tmi.example"])
                .baseURL(boundPort: 1) == "https://tmi.example")
    }

    @Test func neitherFileIsPlainHTTP() throws {
        let c = try parse([])
        #expect(!c.servesTLS)
        #expect(c.baseURL(boundPort: 8080) == "http://127.0.0.1:8080")
    }

    @Test func oneWithoutTheOtherIsRefusedWithOneLine() {
        for (arguments, environment) in [
            (["--tls-cert", "/c.pem"], [:]), (["--tls-key", "/k.pem"], [:]), ([], ["TMI_TLS_KEY": "/k.pem"]),
        ] as [([String], [String: String])] {
            #expect(throws: ConfigurationError.self) { try parse(arguments, environment) }
            do {
                _ = try parse(arguments, environment)
            } catch {
                #expect(error.message.contains("--tls-cert and --tls-key"))
                #expect(!error.message.contains("\n"))
            }
        }
        #expect(throws: ConfigurationError.self) { try parse(["--tls-cert", ""]) }
    }

    @Test func helpListsTheFlags() {
        #expect(ServerConfiguration.helpText.contains("--tls-cert FILE"))
        #expect(ServerConfiguration.helpText.contains("TMI_TLS_KEY"))
    }
}
