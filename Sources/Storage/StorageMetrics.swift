import Synchronization

/// How long journal fsyncs take, process-wide, for the server's `/metrics`: the disk is shared
/// by every journal in the process, so one histogram over all of them is what an operator needs
/// to see a slow or stalling disk. Relaxed atomics; recording takes no lock.
///
/// Storage imports nothing above it (DESIGN §2), so it keeps its own small histogram type.
public enum StorageMetrics {
    /// Every successful journal batch `fdatasync` (one per group commit).
    public static let journalFsyncLatency = StorageLatencyHistogram()
}

/// Fixed latency buckets (100 µs to 10 s) of relaxed atomic counters.
public final class StorageLatencyHistogram: Sendable {
    static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]
    private static let boundNanoseconds = bounds.map { UInt64(($0 * 1e9).rounded()) }
    private let buckets: [Bucket] = (0...bounds.count).map { _ in Bucket() }
    private let sumNanoseconds = Atomic<UInt64>(0)

    final class Bucket: Sendable {
        let value = Atomic<UInt64>(0)
    }

    init() {}

    func record(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let nanoseconds =
            UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds / 1_000_000_000))
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
