/// The live line on stderr, rewritten in place once a second with a carriage return so a
/// terminal shows one moving line and a log file shows one line per second.
public struct ProgressSnapshot: Sendable, Equatable {
    public var phase: String
    public var elapsedSeconds: Double
    public var totalSeconds: Double
    public var editors: Int
    public var opsSent: Int
    public var opsAcked: Int
    public var rejected: Int
    public var errors: Int
    public var messagesInPerSecond: Double
    public var messagesOutPerSecond: Double
    public var deliveryP50Ms: Double
    public var deliveryP99Ms: Double
    public var serverCPUPercent: Double?
    public var serverRSSBytes: UInt64?

    public init(
        phase: String = "run", elapsedSeconds: Double = 0, totalSeconds: Double = 0, editors: Int = 0,
        opsSent: Int = 0, opsAcked: Int = 0, rejected: Int = 0, errors: Int = 0,
        messagesInPerSecond: Double = 0,
        messagesOutPerSecond: Double = 0, deliveryP50Ms: Double = 0, deliveryP99Ms: Double = 0,
        serverCPUPercent: Double? = nil, serverRSSBytes: UInt64? = nil
    ) {
        self.phase = phase
        self.elapsedSeconds = elapsedSeconds
        self.totalSeconds = totalSeconds
        self.editors = editors
        self.opsSent = opsSent
        self.opsAcked = opsAcked
        self.rejected = rejected
        self.errors = errors
        self.messagesInPerSecond = messagesInPerSecond
        self.messagesOutPerSecond = messagesOutPerSecond
        self.deliveryP50Ms = deliveryP50Ms
        self.deliveryP99Ms = deliveryP99Ms
        self.serverCPUPercent = serverCPUPercent
        self.serverRSSBytes = serverRSSBytes
    }

    /// The text of the line, starting with `\r` and padded so a shorter line erases a longer one.
    public var line: String {
        var text =
            "\r[\(phase) \(format(elapsedSeconds, 0))/\(format(totalSeconds, 0))s] editors \(editors)"
            + "  sent \(opsSent) acked \(opsAcked) rej \(rejected) err \(errors)"
            + "  in \(format(messagesInPerSecond, 0))/s out \(format(messagesOutPerSecond, 0))/s"
            + "  p50 \(format(deliveryP50Ms, 1))ms p99 \(format(deliveryP99Ms, 1))ms"
        if let serverCPUPercent { text += "  cpu \(format(serverCPUPercent, 0))%" }
        if let serverRSSBytes { text += " rss \(megabytes(serverRSSBytes))" }
        return text + "   "
    }
}
