import Testing

@testable import LoadTestKit

/// `--url` repeated (issue 14): every node kept in order, the first is also `url`; bad or
/// repeated URLs are usage errors.
@Suite struct LoadTestNodesOptionsTests {
    @Test func repeatedURLsNameTheNodesInOrder() throws {
        let o = try LoadTestOptions.parse([
            "--url", "http://127.0.0.1:9001", "--url", "http://127.0.0.1:9002/", "--url=http://10.0.0.3:9003",
        ])
        #expect(o.url == "http://127.0.0.1:9001" && o.port == 9001)
        #expect(o.nodeURLs == ["http://127.0.0.1:9001", "http://127.0.0.1:9002", "http://10.0.0.3:9003"])
        let third = o.forNode(2)
        #expect(third.host == "10.0.0.3" && third.port == 9003 && third.url == "http://10.0.0.3:9003")
        #expect(try LoadTestOptions.parse(["--url", "http://h:1"]).nodeURLs == ["http://h:1"])
        #expect(try LoadTestOptions.parse([]).nodeURLs.isEmpty)
    }

    @Test func aBadOrRepeatedNodeURLIsAUsageError() {
        #expect(throws: LoadTestOptions.UsageError.self) {
            _ = try LoadTestOptions.parse(["--url", "http://a:1", "--url", "ftp://b:2"])
        }
        #expect(throws: LoadTestOptions.UsageError.self) {
            _ = try LoadTestOptions.parse(["--url", "http://a:1", "--url", "http://a:1/"])
        }
    }

    @Test func httpsURLsSpeakTLSVerifiedWithTheCAFile() throws {
        let o = try LoadTestOptions.parse([
            "--url", "https://127.0.0.1:9001", "--url", "https://node-b", "--ca-file", "/tmp/ca.pem",
        ])
        #expect(o.tls && o.url == "https://127.0.0.1:9001" && o.port == 9001)
        #expect(o.caFile == "/tmp/ca.pem")
        let second = o.forNode(1)
        #expect(second.tls && second.host == "node-b" && second.port == 443 && second.caFile == "/tmp/ca.pem")
        #expect(!(try LoadTestOptions.parse(["--url", "http://h:1"])).tls)
        #expect(throws: LoadTestOptions.UsageError.self) { _ = try LoadTestOptions.parse(["--ca-file", ""]) }
    }
}
