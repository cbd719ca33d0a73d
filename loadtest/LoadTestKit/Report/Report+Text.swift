/// The plain-text summary printed at the end of every run.
extension Report {
    public var summaryText: String {
        var lines: [String] = []
        let totalEditors = diagrams * editorsPerDiagram
        lines.append(
            "tmi-loadtest \(url): \(diagrams) diagram(s) x \(editorsPerDiagram) editor(s) at "
                + "\(format(ratePerEditor, 2)) op/s each, \(format(measuredSeconds, 1)) s measured"
                + " (warmup \(format(warmupSeconds, 1)) s, seed \(seed))"
                + (interrupted ? " [interrupted]" : ""))
        lines.append("")
        var rows: [(String, String)] = [
            ("editors", "\(totalEditors)"),
            ("operations sent", "\(opsSent)"),
            ("operations acked", "\(opsAcked)"),
            ("rejected", rejectedText),
            ("unacknowledged", "\(unacknowledged)"),
            ("undelivered", "\(undelivered)"),
            ("errors", "\(errors)"),
            ("reconnects", "\(reconnects)"),
            ("cursor / undo sent", "\(cursorsSent) / \(undosSent)"),
            ("messages in", "\(messagesIn) (\(format(messagesInPerSecond, 1))/s)"),
            ("messages out", "\(messagesOut) (\(format(messagesOutPerSecond, 1))/s)"),
        ]
        if let server {
            rows.append(("server pid", "\(server.pid)"))
            rows.append(
                (
                    "server cpu",
                    "\(format(server.meanCPUPercent, 1))% mean, \(format(server.maxCPUPercent, 1))% max"
                ))
            rows.append(("server rss", "\(megabytes(server.maxRSSBytes)) max"))
        }
        if let client {
            rows.append(
                (
                    "loadtest cpu",
                    "\(format(client.meanCPUPercent, 1))% mean, \(format(client.maxCPUPercent, 1))% max"
                ))
        }
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { lines.append(pad(name, width) + "  " + value) }
        lines.append("")
        lines.append(
            pad("latency (ms)", 16) + columns(["count", "mean", "p50", "p90", "p99", "p99.9", "max"]))
        lines.append(latencyRow("delivery", delivery.summary))
        lines.append(latencyRow("ack", ack.summary))
        for (i, url) in nodeURLs.enumerated() where nodeURLs.count > 1 {
            lines.append(latencyRow("node \(i + 1)", (deliveryByNode[i] ?? LatencyHistogram()).summary))
            lines.append("  (node \(i + 1): \(url); each receipt by an editor on it)")
        }
        if nodeURLs.count > 1 {
            lines.append(latencyRow("direct", deliveryDirect.summary))
            lines.append(latencyRow("relayed", deliveryRelayed.summary))
            lines.append("  (receipts by editors on their diagram's owner node, and by relayed editors)")
        }
        lines.append(
            "(delivery: send until the last other editor received it; ack: send until the sender got it back)"
        )
        if stepLimitMs != nil {
            lines.append("")
            lines.append("steps (limit: delivery p99 <= \(format(stepLimitMs ?? 0, 1)) ms)")
            lines.append(pad("editors", 10) + pad("ops/s", 10) + pad("p99 ms", 10) + "held")
            for s in steps {
                lines.append(
                    pad("\(s.totalEditors)", 10) + pad(format(s.offeredOpsPerSecond, 1), 10)
                        + pad(format(s.delivery.p99Ms, 2), 10) + (s.held ? "yes" : "no"))
            }
            if let held = maxLoadHeld {
                lines.append(
                    "largest load held: \(held.totalEditors) editors, \(format(held.offeredOpsPerSecond, 1)) op/s,"
                        + " p99 \(format(held.delivery.p99Ms, 2)) ms")
            } else {
                lines.append("largest load held: none (the first step already exceeded the limit)")
            }
        }
        lines.append("")
        lines.append(
            convergence.converged
                ? "converged: yes (\(convergence.editorsChecked) editors match the server)"
                : "converged: NO")
        for failure in failures { lines.append("FAIL " + failure) }
        for sample in errorSamples { lines.append("error: " + sample) }
        lines.append(failures.isEmpty ? "result: PASS" : "result: FAIL")
        return lines.joined(separator: "\n") + "\n"
    }

    var rejectedText: String {
        guard !rejected.isEmpty else { return "0" }
        let parts = rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        return "\(totalRejected) (" + parts.joined(separator: ", ") + ")"
    }

    func latencyRow(_ name: String, _ s: LatencySummary) -> String {
        pad(name, 16)
            + columns([
                "\(s.count)", format(s.meanMs, 2), format(s.p50Ms, 2), format(s.p90Ms, 2), format(s.p99Ms, 2),
                format(s.p999Ms, 2), format(s.maxMs, 2),
            ])
    }

    func columns(_ values: [String]) -> String {
        values.map { leftPad($0, 10) }.joined()
    }
}

/// `s` padded to `width`; a longer `s` keeps one separating space.
func pad(_ s: String, _ width: Int) -> String {
    s.count > width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

func leftPad(_ s: String, _ width: Int) -> String {
    s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
}

func megabytes(_ bytes: UInt64) -> String {
    format(Double(bytes) / 1_048_576, 1) + " MiB"
}
