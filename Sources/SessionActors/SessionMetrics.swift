import Synchronization

/// What the sessions are doing, for the server's `/metrics`: operations applied, rejected and
/// answered as duplicates, and how long applying one took (submit, broadcast and the wait until
/// it is durable). Relaxed atomics, no lock on the operation path. The session and participant
/// gauges are counted at scrape time instead (`SessionDirectory.census()`), so they cannot drift.
///
/// SessionActors does not import WireProtocol (DESIGN §2), so it keeps its own small histogram.
public final class SessionMetrics: Sendable {
    private let applied = Atomic<UInt64>(0)
    private let rejected = Atomic<UInt64>(0)
    private let duplicates = Atomic<UInt64>(0)
    private let resyncs = Atomic<UInt64>(0)
    let applyLatency = SessionLatencyHistogram()

    public init() {}

    public var operationsApplied: UInt64 { applied.load(ordering: .relaxed) }
    /// Rejected by the engine (invalid, conflicting, no change) or because the base was too old.
    public var operationsRejected: UInt64 { rejected.load(ordering: .relaxed) }
    public var operationsDuplicate: UInt64 { duplicates.load(ordering: .relaxed) }
    /// Rejections that sent the client a full `diagram_state_sync` (a subset of rejected).
    public var stateSyncs: UInt64 { resyncs.load(ordering: .relaxed) }

    /// Cumulative buckets (seconds), count and sum of the apply latency.
    public var applyLatencySnapshot:
        (upperBounds: [Double], cumulativeCounts: [UInt64], count: UInt64, sum: Double)
    {
        applyLatency.snapshot
    }

    func recordApplied(since start: ContinuousClock.Instant) {
        applied.wrappingAdd(1, ordering: .relaxed)
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        applyLatency.record(
            nanoseconds: UInt64(max(0, seconds)) &* 1_000_000_000
                &+ UInt64(max(0, attoseconds / 1_000_000_000)))
    }

    func recordRejected(stateSync: Bool) {
        rejected.wrappingAdd(1, ordering: .relaxed)
        if stateSync { resyncs.wrappingAdd(1, ordering: .relaxed) }
    }

    func recordDuplicate() { duplicates.wrappingAdd(1, ordering: .relaxed) }
}

/// Fixed latency buckets (100 µs to 10 s) of relaxed atomic counters.
final class SessionLatencyHistogram: Sendable {
    static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    private static let boundNanoseconds = bounds.map { UInt64(($0 * 1e9).rounded()) }
    // Atomics are not copyable, so the fixed set of buckets is spelled out as a tuple-free list
    // of instances; 16 buckets plus overflow.
    private let buckets: [Bucket] = (0...bounds.count).map { _ in Bucket() }
    private let sumNanoseconds = Atomic<UInt64>(0)

    final class Bucket: Sendable {
        let value = Atomic<UInt64>(0)
    }

    func record(nanoseconds: UInt64) {
        let i = Self.boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? Self.bounds.count
        buckets[i].value.wrappingAdd(1, ordering: .relaxed)
        sumNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    var snapshot: (upperBounds: [Double], cumulativeCounts: [UInt64], count: UInt64, sum: Double) {
        var running: UInt64 = 0
        var cumulative: [UInt64] = []
        for i in 0..<Self.bounds.count {
            running &+= buckets[i].value.load(ordering: .relaxed)
            cumulative.append(running)
        }
        running &+= buckets[Self.bounds.count].value.load(ordering: .relaxed)
        return (Self.bounds, cumulative, running, Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9)
    }
}
