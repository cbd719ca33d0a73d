/// A log-bucketed latency histogram in the manner of HdrHistogram: every recorded value lands in
/// a bucket whose width is at most 1/128 of its lower bound, so any value read back (a percentile)
/// is within 0.4% of a value that was actually recorded. Recording is O(1): an index computed from
/// the position of the highest set bit, then one increment.
///
/// Values are microseconds. Below 256 µs every integer has its own bucket (exact); above, each
/// power-of-two range [2^e, 2^(e+1)) is split into 128 equal buckets. Values above
/// `maxTrackable` (about 3.2 days) are clamped, so the bucket array stays fixed (~35 KB).
public struct LatencyHistogram: Sendable, Equatable {
    /// Buckets per power-of-two range; relative width = 1/subBuckets ≤ 1%.
    static let subBucketBits = 7
    static let subBuckets = 1 << subBucketBits  // 128
    /// Values below this are counted exactly, one bucket per integer.
    static let exactLimit: UInt64 = UInt64(subBuckets) * 2  // 256
    /// Highest exponent tracked; larger values are clamped to the top bucket.
    static let maxExponent = 37
    public static let maxTrackable: UInt64 = (1 << (maxExponent + 1)) - 1
    static let bucketCount = Int(exactLimit) + (maxExponent - 7) * subBuckets

    var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    /// Exact sum, for the mean (microseconds; overflow needs ~5e12 samples of an hour each).
    public private(set) var sum: UInt64 = 0
    public private(set) var min: UInt64 = .max
    public private(set) var max: UInt64 = 0

    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// The bucket holding `value` (already clamped to `maxTrackable`).
    @inline(__always)
    static func index(of value: UInt64) -> Int {
        if value < exactLimit { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount  // ≥ 8
        let shift = exponent - subBucketBits
        let sub = Int(value >> UInt64(shift)) - subBuckets  // 0..<128
        return Int(exactLimit) + (exponent - 8) * subBuckets + sub
    }

    /// The half-open range [lower, upper) of values that fall in bucket `index`.
    static func bounds(of index: Int) -> (lower: UInt64, upper: UInt64) {
        if index < Int(exactLimit) { return (UInt64(index), UInt64(index) + 1) }
        let offset = index - Int(exactLimit)
        let exponent = offset / subBuckets + 8
        let sub = UInt64(offset % subBuckets + subBuckets)
        let shift = UInt64(exponent - subBucketBits)
        return (sub << shift, (sub + 1) << shift)
    }

    /// Records one value in microseconds.
    public mutating func record(microseconds value: UInt64) {
        let v = Swift.min(value, Self.maxTrackable)
        counts[Self.index(of: v)] &+= 1
        count &+= 1
        sum &+= v
        if v < min { min = v }
        if v > max { max = v }
    }

    /// Records a duration; negative durations (clock skew between tasks) count as zero.
    public mutating func record(_ duration: Duration) {
        record(microseconds: microseconds(duration))
    }

    /// Adds every sample of `other` to this histogram (bucket layouts are identical by design).
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for i in 0..<counts.count where other.counts[i] != 0 {
            counts[i] &+= other.counts[i]
        }
        count &+= other.count
        sum &+= other.sum
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    public mutating func reset() {
        self = LatencyHistogram()
    }

    public var isEmpty: Bool { count == 0 }

    /// Mean in microseconds (0 when empty).
    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }
}
