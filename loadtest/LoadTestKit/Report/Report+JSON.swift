import CollabCore

/// The machine-readable report (`--json`). Top-level keys named in issue 7 are stable: scripts
/// read `converged`, `ops_sent`, `ops_acked`, `rejected`, `errors`, `delivery_latency_ms` and
/// `ack_latency_ms` (each `{p50, p90, p99, p999, max}`); everything else may grow.
extension Report {
    public var json: JSONValue {
        var root: [String: JSONValue] = [
            "converged": .bool(convergence.converged),
            "ops_sent": .number(Double(opsSent)),
            "ops_acked": .number(Double(opsAcked)),
            "rejected": .object(rejected.mapValues { .number(Double($0)) }),
            "rejected_total": .number(Double(totalRejected)),
            "errors": .number(Double(errors)),
            "error_samples": .array(errorSamples.map { .string($0) }),
            "reconnects": .number(Double(reconnects)),
            "unacknowledged": .number(Double(unacknowledged)),
            "undelivered": .number(Double(undelivered)),
            "cursors_sent": .number(Double(cursorsSent)),
            "undos_sent": .number(Double(undosSent)),
            "messages_in": .number(Double(messagesIn)),
            "messages_out": .number(Double(messagesOut)),
            "messages_in_per_s": .number(rounded(messagesInPerSecond)),
            "messages_out_per_s": .number(rounded(messagesOutPerSecond)),
            "delivery_latency_ms": Self.json(delivery.summary),
            "delivery_latency_by_node_ms": .array(
                nodeURLs.indices.map { i in
                    [
                        "url": .string(nodeURLs[i]),
                        "latency": Self.json((deliveryByNode[i] ?? LatencyHistogram()).summary),
                    ]
                }),
            "delivery_latency_direct_ms": Self.json(deliveryDirect.summary),
            "delivery_latency_relayed_ms": Self.json(deliveryRelayed.summary),
            "ack_latency_ms": Self.json(ack.summary),
            "delivery_latency_over_time": .array(deliverySeries.map(Self.json)),
            "ack_latency_over_time": .array(ackSeries.map(Self.json)),
            "interrupted": .bool(interrupted),
            "measured_seconds": .number(rounded(measuredSeconds)),
            "failures": .array(failures.map { .string($0) }),
            "exit_code": .number(Double(exitCode)),
            "config": [
                "url": .string(url),
                "diagrams": .number(Double(diagrams)),
                "editors_per_diagram": .number(Double(editorsPerDiagram)),
                "rate_per_editor": .number(ratePerEditor),
                "duration_s": .number(durationSeconds),
                "warmup_s": .number(warmupSeconds),
                "seed": .number(Double(seed)),
                "max_error_rate": .number(maxErrorRate),
            ],
        ]
        var convergenceObject: [String: JSONValue] = [
            "converged": .bool(convergence.converged),
            "editors_checked": .number(Double(convergence.editorsChecked)),
        ]
        if let d = convergence.difference {
            convergenceObject["first_difference"] = [
                "editor": .string(d.editor),
                "cell_id": .string(d.cellID),
                "editor_value": d.editorValue ?? .null,
                "server_value": d.serverValue ?? .null,
            ]
        }
        root["convergence"] = .object(convergenceObject)
        if let server {
            root["server"] = [
                "pid": .number(Double(server.pid)),
                "cpu_percent_mean": .number(rounded(server.meanCPUPercent)),
                "cpu_percent_max": .number(rounded(server.maxCPUPercent)),
                "rss_bytes_max": .number(Double(server.maxRSSBytes)),
                "rss_bytes_last": .number(Double(server.lastRSSBytes)),
            ]
        }
        if let client {
            root["loadtest"] = [
                "cpu_percent_mean": .number(rounded(client.meanCPUPercent)),
                "cpu_percent_max": .number(rounded(client.maxCPUPercent)),
                "rss_bytes_max": .number(Double(client.maxRSSBytes)),
            ]
        }
        if let stepLimitMs {
            root["step_limit_p99_ms"] = .number(stepLimitMs)
            root["steps"] = .array(steps.map(Self.json))
            root["max_load_held"] = maxLoadHeld.map(Self.json) ?? .null
        }
        return .object(root)
    }

    static func json(_ s: LatencySummary) -> JSONValue {
        [
            "count": .number(Double(s.count)), "mean": .number(rounded(s.meanMs)),
            "p50": .number(rounded(s.p50Ms)), "p90": .number(rounded(s.p90Ms)),
            "p99": .number(rounded(s.p99Ms)), "p999": .number(rounded(s.p999Ms)),
            "max": .number(rounded(s.maxMs)),
        ]
    }

    static func json(_ p: LatencySeries.Point) -> JSONValue {
        var o = json(p.summary)
        o["second"] = .number(p.second)
        return o
    }

    static func json(_ s: StepResult) -> JSONValue {
        [
            "editors_per_diagram": .number(Double(s.editorsPerDiagram)),
            "total_editors": .number(Double(s.totalEditors)),
            "offered_ops_per_s": .number(rounded(s.offeredOpsPerSecond)),
            "delivery_latency_ms": json(s.delivery),
            "errors": .number(Double(s.errors)),
            "converged": .bool(s.converged),
            "held": .bool(s.held),
        ]
    }
}

/// Three decimals are plenty for milliseconds and rates, and keep the file readable.
func rounded(_ v: Double) -> Double {
    guard v.isFinite else { return 0 }
    return (v * 1000).rounded() / 1000
}
