import CollabCore
import Foundation
import Testing

@testable import LoadTestKit

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite struct ReportTests {
    static func make(converged: Bool = true, errors: Int = 0, samples: Int = 500) -> Report {
        var options = LoadTestOptions()
        options.diagrams = 2
        options.editors = 3
        var metrics = RunMetrics()
        metrics.beginMeasuring(at: .zero)
        for i in 0..<samples {
            let sent = Duration.milliseconds(i * 10)
            metrics.operationSent(id: "op\(i)", at: sent, receivers: 1)
            metrics.operationReceived(id: "op\(i)", isOriginator: true, at: sent + .microseconds(500 + i))
            metrics.operationReceived(
                id: "op\(i)", isOriginator: false, at: sent + .microseconds(1000 + 10 * i))
        }
        metrics.operationSent(id: "x", at: .seconds(1), receivers: 1)
        metrics.operationRejected(id: "x", reason: "conflict_detected")
        for i in 0..<errors { metrics.error("boom <\(i)> & \"quoted\"") }
        var report = Report(options: options)
        report.measuredSeconds = 5
        report.absorb(metrics)
        if !converged {
            report.convergence = ConvergenceVerdict(
                converged: false, editorsChecked: 6,
                difference: CellDifference(
                    editor: "loadtest-2", cellID: "c1", editorValue: ["id": "c1", "x": 1], serverValue: nil))
        }
        var usage = ProcessUsage(pid: 77)
        usage.add(ProcFS.Sample(cpuSeconds: 1, rssBytes: 10 << 20), atElapsed: 0)
        usage.add(ProcFS.Sample(cpuSeconds: 1.5, rssBytes: 12 << 20), atElapsed: 1)
        report.server = usage
        var own = ProcessUsage(pid: 78)
        own.add(ProcFS.Sample(cpuSeconds: 0, rssBytes: 5 << 20), atElapsed: 0)
        own.add(ProcFS.Sample(cpuSeconds: 0.25, rssBytes: 5 << 20), atElapsed: 1)
        report.client = own
        return report
    }

    @Test func jsonHasTheContractKeysAndValues() throws {
        let report = Self.make()
        let json = try JSONValue.parse(report.json.serializedString(sortedKeys: true))
        #expect(json["converged"] == .bool(true))
        #expect(json["ops_sent"] == 501)
        #expect(json["ops_acked"] == 500)
        #expect(json["rejected"] == ["conflict_detected": 1])
        #expect(json["errors"] == 0)
        for key in ["delivery_latency_ms", "ack_latency_ms"] {
            let o = try #require(json[key]?.objectValue)
            for field in ["p50", "p90", "p99", "p999", "max"] {
                #expect(o[field]?.doubleValue != nil, "\(key).\(field)")
            }
        }
        // Delivery latencies were 1.000 ... 5.990 ms: p50 ≈ 3.49, max = 5.99.
        let p50 = try #require(json["delivery_latency_ms"]?["p50"]?.doubleValue)
        #expect(abs(p50 - 3.49) <= 3.49 * 0.01)
        #expect(json["delivery_latency_ms"]?["max"] == 5.99)
        #expect(json["ack_latency_ms"]?["max"] == 0.999)
        #expect(json["messages_out_per_s"] == 100.2)
        #expect(json["server"]?["cpu_percent_mean"] == 50)
        #expect(json["loadtest"]?["cpu_percent_mean"] == 25)
        #expect(json["exit_code"] == 0)
        #expect(json["steps"] == nil)
    }

    @Test func divergenceAndErrorsFailTheRun() throws {
        let report = Self.make(converged: false, errors: 30)
        #expect(report.exitCode == 1)
        #expect(report.failures.count == 2)
        let json = report.json
        #expect(json["converged"] == .bool(false))
        #expect(json["convergence"]?["first_difference"]?["cell_id"] == "c1")
        #expect(json["convergence"]?["first_difference"]?["server_value"] == .null)
        let text = report.summaryText
        #expect(text.contains("converged: NO"))
        #expect(text.contains("cell c1"))
        #expect(text.contains("result: FAIL"))
    }

    @Test func textSummaryShowsTheTable() {
        let text = Self.make().summaryText
        for needle in [
            "operations sent", "501", "conflict_detected 1", "delivery", "p99.9", "server cpu",
            "result: PASS",
        ] {
            #expect(text.contains(needle), "missing \(needle)")
        }
    }

    @Test func stepModeReportsLargestLoadHeld() {
        var report = Self.make()
        report.stepLimitMs = 10
        let s = LatencySummary(p99Ms: 5)
        report.steps = [
            StepResult(
                editorsPerDiagram: 2, totalEditors: 4, offeredOpsPerSecond: 8, delivery: s, errors: 0,
                converged: true,
                held: true),
            StepResult(
                editorsPerDiagram: 4, totalEditors: 8, offeredOpsPerSecond: 16, delivery: s, errors: 0,
                converged: true,
                held: true),
            StepResult(
                editorsPerDiagram: 6, totalEditors: 12, offeredOpsPerSecond: 24,
                delivery: LatencySummary(p99Ms: 20),
                errors: 0, converged: true, held: false),
        ]
        #expect(report.maxLoadHeld?.totalEditors == 8)
        #expect(report.json["max_load_held"]?["total_editors"] == 8)
        #expect(report.json["steps"]?.arrayValue?.count == 3)
        #expect(report.summaryText.contains("largest load held: 8 editors"))
    }

    @Test func svgIsWellFormedWithLinesBarsAndLabels() throws {
        let svg = Self.make(errors: 2).svg
        let counter = try Self.parse(svg)
        #expect(counter.root == "svg")
        #expect(counter.counts["polyline", default: 0] == 5)  // p50, p90, p99, max, ack p99
        #expect(counter.counts["rect", default: 0] > 10)  // background + histogram bars
        #expect(counter.texts.contains("Delivery latency percentiles over time"))
        #expect(counter.texts.contains("latency (ms)"))
        #expect(counter.texts.contains { $0.hasPrefix("p99 ") && $0.hasSuffix(" ms") })
    }

    @Test func emptyRunStillDrawsAValidChart() throws {
        var report = Report(options: LoadTestOptions())
        report.url = "http://h/<&>"
        let counter = try Self.parse(report.svg)
        #expect(counter.counts["polyline", default: 0] == 0)
        #expect(counter.texts.filter { $0 == "no samples" }.count == 2)
    }

    @Test func progressLineIsOneCarriageReturnLine() {
        let line = ProgressSnapshot(
            elapsedSeconds: 3, totalSeconds: 10, editors: 4, opsSent: 12, deliveryP99Ms: 2.25,
            serverCPUPercent: 40,
            serverRSSBytes: 3 << 20
        ).line
        #expect(line.hasPrefix("\r[run 3/10s]"))
        #expect(!line.contains("\n"))
        #expect(line.contains("p99 2.3ms") || line.contains("p99 2.2ms"))
        #expect(line.contains("cpu 40%") && line.contains("rss 3.0 MiB"))
    }

    @Test func formatRoundsFixedPoint() {
        #expect(format(3.14159, 2) == "3.14")
        #expect(format(-0.05, 1) == "-0.1")
        #expect(format(2.999, 2) == "3.00")
        #expect(format(0.001, 0) == "0")
        #expect(format(12.05, 3) == "12.050")
    }

    final class Counter: NSObject, XMLParserDelegate {
        var root: String?
        var counts: [String: Int] = [:]
        var texts: [String] = []
        var inText = false
        var current = ""
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if root == nil { root = name }
            counts[name, default: 0] += 1
            if name == "text" {
                inText = true
                current = ""
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { if inText { current += string } }
        func parser(
            _ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?
        ) {
            if name == "text" {
                texts.append(current)
                inText = false
            }
        }
    }

    static func parse(_ svg: String) throws -> Counter {
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = Counter()
        parser.delegate = counter
        let ok = parser.parse()
        #expect(ok, "SVG is not well-formed: \(String(describing: parser.parserError))")
        return counter
    }
}
