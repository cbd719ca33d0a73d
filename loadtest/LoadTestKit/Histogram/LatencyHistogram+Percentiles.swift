/// Reading percentiles back out of a `LatencyHistogram`.
extension LatencyHistogram {
    /// The value at percentile `p` (0...100) in microseconds: the smallest recorded value such that
    /// at least `p`% of samples are ≤ it (rank ⌈p·n/100⌉, the nearest-rank definition). The answer
    /// is the midpoint of the bucket holding that rank, clamped to the exact min/max, so it is
    /// within half a bucket (≤ 0.4%) of the true value. Returns 0 when empty.
    public func value(atPercentile p: Double) -> Double {
        guard count > 0 else { return 0 }
        let clamped = Swift.min(Swift.max(p, 0), 100)
        var rank = UInt64((clamped / 100 * Double(count)).rounded(.up))
        rank = Swift.min(Swift.max(rank, 1), count)
        if rank == count { return Double(max) }
        if rank == 1 { return Double(min) }
        var seen: UInt64 = 0
        for i in 0..<counts.count where counts[i] != 0 {
            seen &+= counts[i]
            if seen >= rank {
                let (lower, upper) = Self.bounds(of: i)
                let mid = upper - lower == 1 ? Double(lower) : (Double(lower) + Double(upper - 1)) / 2
                return Swift.min(Swift.max(mid, Double(min)), Double(max))
            }
        }
        return Double(max)
    }

    /// The five figures every report shows, in milliseconds.
    public var summary: LatencySummary {
        LatencySummary(
            count: count,
            meanMs: mean / 1000,
            p50Ms: value(atPercentile: 50) / 1000,
            p90Ms: value(atPercentile: 90) / 1000,
            p99Ms: value(atPercentile: 99) / 1000,
            p999Ms: value(atPercentile: 99.9) / 1000,
            maxMs: Double(max) / 1000)
    }

    /// Non-empty buckets as (lower bound µs, upper bound µs, count), for plotting.
    public var nonEmptyBuckets: [(lower: UInt64, upper: UInt64, count: UInt64)] {
        var out: [(lower: UInt64, upper: UInt64, count: UInt64)] = []
        for i in 0..<counts.count where counts[i] != 0 {
            let (lower, upper) = Self.bounds(of: i)
            out.append((lower, upper, counts[i]))
        }
        return out
    }
}

/// Percentiles of one histogram in milliseconds: the unit every report uses.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64
    public var meanMs: Double
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var maxMs: Double

    public init(
        count: UInt64 = 0, meanMs: Double = 0, p50Ms: Double = 0, p90Ms: Double = 0, p99Ms: Double = 0,
        p999Ms: Double = 0, maxMs: Double = 0
    ) {
        self.count = count
        self.meanMs = meanMs
        self.p50Ms = p50Ms
        self.p90Ms = p90Ms
        self.p99Ms = p99Ms
        self.p999Ms = p999Ms
        self.maxMs = maxMs
    }
}
