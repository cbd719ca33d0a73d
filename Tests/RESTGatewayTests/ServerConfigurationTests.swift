import Glibc
import Testing

@testable import RESTGateway

@Suite struct ServerConfigurationTests {
    func parse(_ arguments: [String], _ environment: [String: String] = [:]) throws(ConfigurationError)
        -> ServerConfiguration
    {
        switch try ServerConfiguration.parse(arguments: arguments, environment: environment) {
        case .run(let configuration): return configuration
        case .help: throw ConfigurationError("unexpected help")
        }
    }

    @Test func defaultsMatchDesign() throws {
        let c = try parse([])
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 8080)
        #expect(c.dataDirectory == "./tmi-data")
        #expect(c.publicURL == nil)
        #expect(c.testProvider)
        #expect(!c.conformanceEcho)
        #expect(c.jwtAlgorithm == .rs256)
        #expect(c.tokenLifetime == 3600)
        #expect(c.logLevel == .info)
        #expect(c.maxBodySize == 2 << 20)
    }

    @Test func flagsSetEverySetting() throws {
        let c = try parse([
            "--host", "0.0.0.0", "--port=0", "--data-dir", "/tmp/x", "--public-url", "https://tmi.example/",
            "--no-test-provider", "--conformance-echo", "--jwt-alg", "hs256", "--jwt-secret",
            String(repeating: "s", count: 32), "--token-lifetime", "60", "--log-level", "debug",
            "--operator-name",
            "Sec Team", "--operator-contact", "sec@example.com", "--head-timeout", "5", "--idle-timeout",
            "30",
            "--max-body-size", "1000",
        ])
        #expect(c.host == "0.0.0.0")
        #expect(c.port == 0)
        #expect(c.dataDirectory == "/tmp/x")
        #expect(c.publicURL == "https://tmi.example")
        #expect(!c.testProvider)
        #expect(c.conformanceEcho)
        #expect(c.jwtAlgorithm == .hs256)
        #expect(c.jwtSecret?.count == 32)
        #expect(c.tokenLifetime == 60)
        #expect(c.logLevel == .debug)
        #expect(c.operatorName == "Sec Team")
        #expect(c.operatorContact == "sec@example.com")
        #expect(c.headTimeout == 5)
        #expect(c.idleTimeout == 30)
        #expect(c.maxBodySize == 1000)
    }

    @Test func environmentSetsAndFlagsOverride() throws {
        let env = [
            "TMI_HOST": "::1", "TMI_PORT": "9000", "TMI_DATA_DIR": "/d", "TMI_TEST_PROVIDER": "0",
            "TMI_PUBLIC_URL": "http://h:1", "TMI_JWT_ALG": "HS256", "TMI_TOKEN_LIFETIME": "10",
            "TMI_OPERATOR_NAME": "Env Op", "TMI_LOG_LEVEL": "error",
        ]
        let fromEnv = try parse([], env)
        #expect(fromEnv.host == "::1")
        #expect(fromEnv.port == 9000)
        #expect(fromEnv.dataDirectory == "/d")
        #expect(!fromEnv.testProvider)
        #expect(fromEnv.publicURL == "http://h:1")
        #expect(fromEnv.jwtAlgorithm == .hs256)
        #expect(fromEnv.tokenLifetime == 10)
        #expect(fromEnv.operatorName == "Env Op")
        #expect(fromEnv.logLevel == .error)
        let overridden = try parse(["--port", "9001", "--jwt-alg", "RS256", "--host", "127.0.0.2"], env)
        #expect(overridden.port == 9001)
        #expect(overridden.jwtAlgorithm == .rs256)
        #expect(overridden.host == "127.0.0.2")
        #expect(overridden.dataDirectory == "/d")
    }

    @Test(arguments: ["1", "true", "yes"])
    func testProviderEnabledByEnvironment(_ value: String) throws {
        #expect(try parse([], ["TMI_TEST_PROVIDER": value]).testProvider)
    }

    static let badInputs: [([String], [String: String], String)] = [
        (["--bogus"], [:], "unknown option '--bogus'"),
        (["serve"], [:], "unexpected argument 'serve'"),
        (["--port"], [:], "--port needs a value"),
        (["--port", "--host", "x"], [:], "--port needs a value"),
        (["--port", "http"], [:], "invalid value 'http' for --port"),
        (["--port", "65536"], [:], "invalid value '65536' for --port"),
        (["--port", "-1"], [:], "invalid value '-1' for --port"),
        ([], ["TMI_PORT": "eighty"], "invalid value 'eighty' for --port"),
        (["--jwt-alg", "none"], [:], "expected RS256 or HS256"),
        (["--jwt-secret", "short"], [:], "at least 32 bytes"),
        (["--token-lifetime", "0"], [:], "--token-lifetime"),
        (["--log-level", "loud"], [:], "--log-level"),
        (["--public-url", "ftp://x"], [:], "--public-url"),
        (["--public-url", "http://"], [:], "--public-url"),
        (["--no-test-provider=1"], [:], "takes no value"),
        ([], ["TMI_TEST_PROVIDER": "maybe"], "TMI_TEST_PROVIDER"),
        (["--host", ""], [:], "--host"),
        (["--data-dir="], [:], "--data-dir"),
    ]

    @Test(arguments: badInputs)
    func badInputIsOneClearLine(_ arguments: [String], _ environment: [String: String], _ mention: String) {
        do {
            _ = try parse(arguments, environment)
            Issue.record("expected an error for \(arguments)")
        } catch {
            #expect(error.message.contains(mention))
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func helpListsEveryFlagWithItsEnvironmentVariableAndDefault() throws {
        guard
            case .help(let text) = try ServerConfiguration.parse(
                arguments: ["--port", "1", "--help"], environment: [:])
        else {
            Issue.record("expected help")
            return
        }
        for (flag, env) in [
            ("--host", "TMI_HOST"), ("--port", "TMI_PORT"), ("--data-dir", "TMI_DATA_DIR"),
            ("--public-url", "TMI_PUBLIC_URL"), ("--no-test-provider", "TMI_TEST_PROVIDER"),
            ("--conformance-echo", "TMI_CONFORMANCE_ECHO"), ("--jwt-alg", "TMI_JWT_ALG"),
            ("--jwt-secret", "TMI_JWT_SECRET"), ("--token-lifetime", "TMI_TOKEN_LIFETIME"),
            ("--log-level", "TMI_LOG_LEVEL"),
        ] {
            #expect(text.contains(flag))
            #expect(text.contains("[env: \(env)]"))
        }
        #expect(text.contains("(default: 8080)"))
        #expect(text.contains("(default: ./tmi-data)"))
        #expect(
            text.split(separator: "\n").filter { $0.contains("(default: ") }.count
                == ServerConfiguration.options.count)
    }

    @Test(
        arguments: [
            ("127.0.0.1", nil, 4242, "http://127.0.0.1:4242"),
            ("0.0.0.0", nil, 80, "http://127.0.0.1:80"),
            ("::1", nil, 9, "http://[::1]:9"),
            ("127.0.0.1", "https://tmi.example", 1, "https://tmi.example"),
        ] as [(String, String?, Int, String)])
    func baseURL(_ host: String, _ publicURL: String?, _ port: Int, _ expected: String) {
        var c = ServerConfiguration()
        c.host = host
        c.publicURL = publicURL
        #expect(c.baseURL(boundPort: port) == expected)
    }
}

@Suite struct DataDirectoryTests {
    func scratch() -> String {
        var template = Array("/tmp/tmi-gateway-test-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let made = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: made)
        }
        #expect(path != nil)
        return path ?? "/tmp"
    }

    @Test func nestedDirectoryIsCreated() throws {
        let root = scratch()
        var c = ServerConfiguration()
        c.dataDirectory = root + "/a/b/c"
        try c.prepareDataDirectory()
        var info = stat()
        #expect(stat(c.dataDirectory, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFDIR)
        // Idempotent: a second start finds it in place.
        try c.prepareDataDirectory()
    }

    @Test func aFileInTheWayIsAnError() throws {
        let root = scratch()
        let file = root + "/plain"
        let fd = open(file, O_WRONLY | O_CREAT, 0o600)
        close(fd)
        var c = ServerConfiguration()
        c.dataDirectory = file + "/sub"
        #expect(throws: ConfigurationError.self) { try c.prepareDataDirectory() }
    }

    @Test func unwritableDirectoryIsAnError() throws {
        // Root ignores permission bits; /proc is not writable for anyone.
        var c = ServerConfiguration()
        c.dataDirectory = "/proc/tmi-data"
        do {
            try c.prepareDataDirectory()
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("/proc/tmi-data"))
        }
    }
}
