/// The measurements of one run, updated as messages flow. Time is `Duration` since the runner's
/// clock origin. Only operations sent inside the measuring window count (the warmup is excluded),
/// but every operation is tracked so a late ack or delivery is never mistaken for an error.
public struct RunMetrics: Sendable {
    /// An operation in flight: when it was sent, how many other editors must still receive it.
    struct InFlight: Sendable {
        var sentAt: Duration
        var remainingReceivers: Int
        var acked: Bool
        var measured: Bool
    }

    public private(set) var measureStart: Duration? = nil
    public private(set) var measureEnd: Duration? = nil
    public private(set) var opsSent = 0
    public private(set) var opsAcked = 0
    public private(set) var rejected: [String: Int] = [:]
    public private(set) var errors = 0
    /// The first few error messages, for the summary (the rest are only counted).
    public private(set) var errorSamples: [String] = []
    public private(set) var reconnects = 0
    public private(set) var messagesIn = 0
    public private(set) var messagesOut = 0
    public private(set) var cursorsSent = 0
    public private(set) var undosSent = 0
    public private(set) var delivery = LatencyHistogram()
    /// Several nodes: each receipt's latency by the receiving editor's node (`--url` order).
    public private(set) var deliveryByNode: [Int: LatencyHistogram] = [:]
    /// Several nodes: receipts by editors on their diagram's owner, and by relayed editors.
    public private(set) var deliveryDirect = LatencyHistogram()
    public private(set) var deliveryRelayed = LatencyHistogram()
    public private(set) var ack = LatencyHistogram()
    public private(set) var deliverySeries = LatencySeries()
    public private(set) var ackSeries = LatencySeries()
    var inFlight: [String: InFlight] = [:]

    public init() {}

    public mutating func beginMeasuring(at now: Duration) { measureStart = now }
    public mutating func endMeasuring(at now: Duration) { measureEnd = now }

    func isMeasured(_ t: Duration) -> Bool {
        guard let measureStart, t >= measureStart else { return false }
        if let measureEnd, t >= measureEnd { return false }
        return true
    }

    func elapsed(_ t: Duration) -> Double {
        seconds(t - (measureStart ?? .zero))
    }

    /// A diagram operation left the editor; `receivers` other editors should see it. Whether it
    /// counts is decided by its slot in the schedule (`scheduledAt`, default `now`), so the number
    /// measured is exactly the offered load even when the client runs late.
    public mutating func operationSent(
        id: String, at now: Duration, scheduledAt: Duration? = nil, receivers: Int
    ) {
        let measured = isMeasured(scheduledAt ?? now)
        if measured {
            opsSent += 1
            messagesOut += 1
        }
        inFlight[id] = InFlight(sentAt: now, remainingReceivers: receivers, acked: false, measured: measured)
    }

    /// The server's broadcast of operation `id` reached an editor; `isOriginator` marks the ack.
    public mutating func operationReceived(
        id: String, isOriginator: Bool, at now: Duration, node: Int = 0, relayed: Bool = false
    ) {
        guard var op = inFlight[id] else { return }
        let latency = now - op.sentAt
        let micros = microseconds(latency)
        if !isOriginator && op.measured {
            deliveryByNode[node, default: LatencyHistogram()].record(microseconds: micros)
            if relayed {
                deliveryRelayed.record(microseconds: micros)
            } else {
                deliveryDirect.record(microseconds: micros)
            }
        }
        if isOriginator {
            guard !op.acked else { return }
            op.acked = true
            if op.measured {
                opsAcked += 1
                ack.record(microseconds: micros)
                ackSeries.record(microseconds: micros, atElapsed: elapsed(now))
            }
        } else if op.remainingReceivers > 0 {
            op.remainingReceivers -= 1
            if op.remainingReceivers == 0 && op.measured {
                delivery.record(microseconds: micros)
                deliverySeries.record(microseconds: micros, atElapsed: elapsed(now))
            }
        }
        if op.acked && op.remainingReceivers == 0 {
            inFlight[id] = nil
        } else {
            inFlight[id] = op
        }
    }

    /// The server refused operation `id` for `reason`.
    public mutating func operationRejected(id: String, reason: String) {
        let measured = inFlight[id]?.measured ?? false
        inFlight[id] = nil
        if measured { rejected[reason, default: 0] += 1 }
    }

    public mutating func error(_ message: String) {
        errors += 1
        if errorSamples.count < 5 { errorSamples.append(message) }
    }

    public mutating func reconnect() { reconnects += 1 }

    /// The server refused a cursor or selection update for exceeding its rate.
    public mutating func throttled() { rejected["rate_limited", default: 0] += 1 }

    public mutating func messageIn(at now: Duration) {
        if isMeasured(now) { messagesIn += 1 }
    }

    /// A message that is not a diagram operation (cursor, undo, presenter request) was sent.
    public mutating func otherMessageOut(at now: Duration, kind: OtherMessageKind) {
        guard isMeasured(now) else { return }
        messagesOut += 1
        switch kind {
        case .cursor: cursorsSent += 1
        case .undo: undosSent += 1
        case .control: break
        }
    }

    public enum OtherMessageKind: Sendable { case cursor, undo, control }

    /// Measured operations still waiting for their ack.
    public var unacknowledged: Int { inFlight.values.filter { $0.measured && !$0.acked }.count }
    /// Measured operations some other editor never received.
    public var undelivered: Int { inFlight.values.filter { $0.measured && $0.remainingReceivers > 0 }.count }
}

func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}

func microseconds(_ d: Duration) -> UInt64 {
    let (s, atto) = d.components
    if s < 0 || (s == 0 && atto < 0) { return 0 }
    return UInt64(s) &* 1_000_000 &+ UInt64(atto / 1_000_000_000_000)
}
