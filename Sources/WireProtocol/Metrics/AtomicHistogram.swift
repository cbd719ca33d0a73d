/// A latency histogram with fixed buckets, recorded with relaxed atomics (no lock on the hot
/// path) and read as the cumulative form the Prometheus text format wants.
public final class AtomicHistogram: Sendable {
    /// Upper bounds in seconds: 100 µs to 10 s, roughly ×2.5 apart, enough to tell a cache hit
    /// from an fsync from a stalled disk.
    public static let defaultBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    public let bounds: [Double]
    private let boundNanoseconds: [UInt64]
    /// One counter per bucket, then the overflow (+Inf) bucket, then the sum in nanoseconds.
    private let cells: AtomicCounters

    public init(bounds: [Double] = AtomicHistogram.defaultBounds) {
        self.bounds = bounds
        boundNanoseconds = bounds.map { UInt64(($0 * 1e9).rounded()) }
        cells = AtomicCounters(count: bounds.count + 2)
    }

    /// Records one observation of `nanoseconds`.
    @inline(__always)
    public func record(nanoseconds: UInt64) {
        var bucket = boundNanoseconds.count
        for (i, bound) in boundNanoseconds.enumerated() where nanoseconds <= bound {
            bucket = i
            break
        }
        cells.add(bucket)
        cells.add(bounds.count + 1, nanoseconds)
    }

    /// Cumulative counts per bound (the `le` buckets), the total count (`+Inf`) and the sum in
    /// seconds.
    public var snapshot: (upperBounds: [Double], cumulativeCounts: [UInt64], count: UInt64, sum: Double) {
        var running: UInt64 = 0
        var cumulative: [UInt64] = []
        cumulative.reserveCapacity(bounds.count)
        for i in 0..<bounds.count {
            running &+= cells.load(i)
            cumulative.append(running)
        }
        running &+= cells.load(bounds.count)
        return (bounds, cumulative, running, Double(cells.load(bounds.count + 1)) / 1e9)
    }
}
