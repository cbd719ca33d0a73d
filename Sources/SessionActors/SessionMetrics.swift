import CollabCore
import Synchronization

/// What the sessions are doing, for the server's `/metrics`: operations applied, rejected and
/// answered as duplicates, and how long applying one took (submit, broadcast and the wait until
/// it is durable). Relaxed atomics, no lock on the operation path. The session and participant
/// gauges are counted at scrape time instead (`SessionDirectory.census()`), so they cannot drift.
///
public final class SessionMetrics: Sendable {
    private let applied = Atomic<UInt64>(0)
    private let rejected = Atomic<UInt64>(0)
    private let duplicates = Atomic<UInt64>(0)
    private let resyncs = Atomic<UInt64>(0)
    let applyLatency = LatencyHistogram()

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
        applyLatency.record(nanoseconds: (ContinuousClock.now - start).histogramNanoseconds)
    }

    func recordRejected(stateSync: Bool) {
        rejected.wrappingAdd(1, ordering: .relaxed)
        if stateSync { resyncs.wrappingAdd(1, ordering: .relaxed) }
    }

    func recordDuplicate() { duplicates.wrappingAdd(1, ordering: .relaxed) }
}
