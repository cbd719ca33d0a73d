import Testing

@testable import LoadTestKit

@Suite struct LoadTestOptionsTests {
    @Test func defaults() throws {
        let o = try LoadTestOptions.parse([])
        #expect(o.url == "http://127.0.0.1:8080")
        #expect(o.host == "127.0.0.1" && o.port == 8080)
        #expect(o.stepUntilP99Ms == nil && o.jsonPath == nil && !o.help)
        #expect(o.serverIsLocal)
    }

    @Test func everyFlagIsRead() throws {
        let o = try LoadTestOptions.parse([
            "--url", "http://localhost:9000/", "--diagrams", "3", "--editors=5", "--rate", "2.5",
            "--duration", "30", "--warmup", "0", "--seed", "99", "--json", "out.json", "--svg", "out.svg",
            "--step-until-p99-ms", "50", "--max-error-rate", "0.2", "--server-pid", "1234",
            "--threat-model", "AAAAAAAA-bbbb-4ccc-8ddd-eeeeeeeeeeee", "--quiet", "--max-steps", "4",
        ])
        #expect(o.url == "http://localhost:9000" && o.host == "localhost" && o.port == 9000)
        #expect(o.diagrams == 3 && o.editors == 5 && o.rate == 2.5)
        #expect(o.duration == 30 && o.warmup == 0 && o.seed == 99)
        #expect(o.jsonPath == "out.json" && o.svgPath == "out.svg")
        #expect(o.stepUntilP99Ms == 50 && o.maxErrorRate == 0.2 && o.serverPID == 1234)
        #expect(o.threatModelID == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
        #expect(o.quiet && o.maxSteps == 4)
    }

    @Test func ipv6LiteralLosesItsBrackets() throws {
        let o = try LoadTestOptions.parse(["--url", "http://[::1]:9090"])
        #expect(o.host == "::1" && o.port == 9090 && o.url == "http://[::1]:9090" && o.serverIsLocal)
        #expect(try LoadTestOptions.parse(["--url", "http://example.org"]).port == 80)
    }

    @Test func helpIsRecognised() throws {
        #expect(try LoadTestOptions.parse(["--help"]).help)
        #expect(LoadTestOptions.helpText.contains("--step-until-p99-ms"))
    }

    @Test(arguments: [
        (["--editors", "0"], "--editors must be at least 1"),
        (["--diagrams", "-2"], "--diagrams must be at least 1"),
        (["--rate", "fast"], "--rate must be a number"),
        (["--rate", "0"], "--rate must be greater than 0"),
        (["--duration", "-5"], "--duration must not be negative"),
        (["--warmup", "nan"], "--warmup must be a number"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--frobnicate"], "unknown option '--frobnicate'"),
        (["extra"], "unexpected argument 'extra'"),
        (["--url", "ftp://example.com"], "--url must start with http:// or https://"),
        (["--url", "http://h:99999"], "--url has an invalid port"),
        (["--url", "http://h/path"], "--url must be http://HOST[:PORT]"),
        (["--editors"], "--editors needs a value"),
        (["--threat-model", "nope"], "--threat-model must be a UUID"),
        (["--diagram", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"], "--diagram needs --threat-model"),
        (["--max-error-rate", "2"], "--max-error-rate must be between 0 and 1"),
        (["--step-until-p99-ms", "0"], "--step-until-p99-ms must be greater than 0"),
    ])
    func impossibleOptionsGiveOneClearLine(_ arguments: [String], _ expected: String) {
        do {
            _ = try LoadTestOptions.parse(arguments)
            Issue.record("accepted \(arguments)")
        } catch {
            #expect(error.message.hasPrefix(expected), "got: \(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }
}
