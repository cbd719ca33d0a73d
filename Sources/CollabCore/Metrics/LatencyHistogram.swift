import Synchronization

/// Fixed latency buckets (100 µs to 10 s) of relaxed atomic counters, for `/metrics`.
///
/// One type for the modules below the gateway that time their work (SessionActors: operation
/// apply; Storage: journal fsync); both depend on CollabCore and neither may import WireProtocol,
/// which keeps its own. It holds counters only: callers measure with their own clock and pass
/// nanoseconds, so CollabCore stays free of clocks. Recording takes no lock.
public final class LatencyHistogram: Sendable {
    public static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    private static let boundNanoseconds = bounds.map { UInt64(($0 * 1e9).rounded()) }
    // Atomics are not copyable, so each bucket is its own instance; 16 buckets plus overflow.
    private let buckets: [Bucket] = (0...bounds.count).map { _ in Bucket() }
    private let sumNanoseconds = Atomic<UInt64>(0)

    final class Bucket: Sendable {
        let value = Atomic<UInt64>(0)
    }

    public init() {}

    public func record(nanoseconds: UInt64) {
        let i = Self.boundNanoseconds.firstIndex { nanoseconds <= $0 } ?? Self.bounds.count
        buckets[i].value.wrappingAdd(1, ordering: .relaxed)
        sumNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    /// Cumulative counts per upper bound (seconds), the total count and the sum in seconds.
    public var snapshot: (upperBounds: [Double], cumulativeCounts: [UInt64], count: UInt64, sum: Double) {
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

extension Duration {
    /// Whole nanoseconds, 0 for a negative duration (for `LatencyHistogram.record`).
    public var histogramNanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        return UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }
}
