/// The outcome of a run (or of the last step of a step run), in the form every output shares:
/// the text summary, the JSON file, the SVG chart and the exit status are all views of this.
public struct Report: Sendable {
    public var url: String
    public var diagrams: Int
    public var editorsPerDiagram: Int
    public var ratePerEditor: Double
    public var durationSeconds: Double
    public var warmupSeconds: Double
    public var seed: UInt64
    /// Seconds actually measured (shorter than `durationSeconds` after Ctrl-C).
    public var measuredSeconds: Double
    public var interrupted: Bool = false

    public var opsSent: Int = 0
    public var opsAcked: Int = 0
    public var rejected: [String: Int] = [:]
    public var errors: Int = 0
    public var errorSamples: [String] = []
    public var reconnects: Int = 0
    public var unacknowledged: Int = 0
    public var undelivered: Int = 0
    public var cursorsSent: Int = 0
    public var undosSent: Int = 0
    public var messagesIn: Int = 0
    public var messagesOut: Int = 0

    public var delivery = LatencyHistogram()
    /// Several nodes: receipt latency by the receiver's node, and the nodes' URLs.
    public var deliveryByNode: [Int: LatencyHistogram] = [:]
    public var nodeURLs: [String] = []
    public var deliveryDirect = LatencyHistogram()
    public var deliveryRelayed = LatencyHistogram()
    public var ack = LatencyHistogram()
    public var deliverySeries: [LatencySeries.Point] = []
    public var ackSeries: [LatencySeries.Point] = []
    public var server: ProcessUsage? = nil
    /// The load tester's own process: if it ran near 100% of a core, it may have been the limit.
    public var client: ProcessUsage? = nil
    public var convergence = ConvergenceVerdict(converged: true, editorsChecked: 0, difference: nil)
    /// Step mode only: every step run, and the largest one whose p99 stayed under the limit.
    public var steps: [StepResult] = []
    public var stepLimitMs: Double? = nil
    public var maxErrorRate: Double = 0.01

    public init(options: LoadTestOptions) {
        url = options.url
        nodeURLs = options.nodeURLs.count > 1 ? options.nodeURLs : []
        diagrams = options.diagrams
        editorsPerDiagram = options.editors
        ratePerEditor = options.rate
        durationSeconds = options.duration
        warmupSeconds = options.warmup
        seed = options.seed
        measuredSeconds = 0
        stepLimitMs = options.stepUntilP99Ms
        maxErrorRate = options.maxErrorRate
    }

    /// Copies the counters and histograms out of the run's metrics.
    public mutating func absorb(_ metrics: RunMetrics) {
        opsSent = metrics.opsSent
        opsAcked = metrics.opsAcked
        rejected = metrics.rejected
        errors = metrics.errors
        errorSamples = metrics.errorSamples
        reconnects = metrics.reconnects
        unacknowledged = metrics.unacknowledged
        undelivered = metrics.undelivered
        cursorsSent = metrics.cursorsSent
        undosSent = metrics.undosSent
        messagesIn = metrics.messagesIn
        messagesOut = metrics.messagesOut
        delivery = metrics.delivery
        deliveryByNode = metrics.deliveryByNode
        deliveryDirect = metrics.deliveryDirect
        deliveryRelayed = metrics.deliveryRelayed
        ack = metrics.ack
        deliverySeries = metrics.deliverySeries.finished()
        ackSeries = metrics.ackSeries.finished()
    }

    public var messagesInPerSecond: Double { measuredSeconds > 0 ? Double(messagesIn) / measuredSeconds : 0 }
    public var messagesOutPerSecond: Double {
        measuredSeconds > 0 ? Double(messagesOut) / measuredSeconds : 0
    }
    public var errorRate: Double { Double(errors) / Double(Swift.max(opsSent, 1)) }
    public var totalRejected: Int { rejected.values.reduce(0, +) }

    /// Why the run failed, one line each; empty means it passed.
    public var failures: [String] {
        var out: [String] = []
        if !convergence.converged {
            out.append("diverged: " + (convergence.difference.map { $0.description } ?? "unknown cell"))
        }
        if errorRate > maxErrorRate {
            out.append(
                "error rate \(format(errorRate * 100, 2))% exceeds \(format(maxErrorRate * 100, 2))%"
                    + " (\(errors) errors / \(opsSent) operations)")
        }
        return out
    }

    /// 0 when the run converged within thresholds, 1 otherwise (2 is decided before a report exists).
    public var exitCode: Int32 { failures.isEmpty ? 0 : 1 }
}

/// One step of a step-mode run.
public struct StepResult: Sendable, Equatable {
    public var editorsPerDiagram: Int
    public var totalEditors: Int
    /// Diagram operations per second offered across all editors.
    public var offeredOpsPerSecond: Double
    public var delivery: LatencySummary
    public var errors: Int
    public var converged: Bool
    /// p99 stayed at or under the limit, with no divergence and errors within threshold.
    public var held: Bool
}

extension Report {
    /// The largest step that held, if any.
    public var maxLoadHeld: StepResult? { steps.last(where: \.held) }
}

/// Fixed-point formatting without Foundation's locale machinery.
func format(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let whole = Int(rounded / scale)
    let frac = Int(rounded - Double(whole) * scale)
    let sign = value < 0 && rounded != 0 ? "-" : ""
    guard decimals > 0 else { return sign + String(whole) }
    let fracText = String(frac)
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - fracText.count) + fracText
}
