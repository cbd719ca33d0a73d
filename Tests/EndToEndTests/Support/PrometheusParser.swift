import CollabCore
import Foundation

/// Parses an exposition with the reference Python parser (`prometheus_client.parser` from PyPI),
/// so the test checks the format against an implementation that is not ours. Each sample comes
/// back as name, labels and value; a parse error fails the test with the parser's message.
enum PrometheusParser {
    struct Sample: Sendable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Unavailable: Error, CustomStringConvertible { var description: String }

    static let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                out.append({"name": s.name, "labels": s.labels, "value": s.value, "type": family.type})
        print(json.dumps(out))
        """

    /// Whether python3 with prometheus_client is there; under CI its absence is a failure.
    static func available() -> Bool {
        (try? run(["-c", "import prometheus_client"], input: "").status) == 0
    }

    static func parse(_ text: String) throws -> [Sample] {
        let (status, output) = try run(["-c", script], input: text)
        guard status == 0 else { throw Unavailable(description: "prometheus parser failed: \(output)") }
        let json = try JSONValue.parse(output)
        return (json.arrayValue ?? []).map { s in
            var labels: [String: String] = [:]
            for (k, v) in s["labels"]?.objectValue ?? [:] { labels[k] = v.stringValue ?? "" }
            return Sample(
                name: s["name"]?.stringValue ?? "", labels: labels, value: s["value"]?.doubleValue ?? .nan)
        }
    }

    /// Runs python3 (blocking; test-only, for a moment). The script reads all of stdin before it
    /// writes, so writing first and reading after cannot deadlock; stderr joins stdout.
    private static func run(_ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self))
    }
}
