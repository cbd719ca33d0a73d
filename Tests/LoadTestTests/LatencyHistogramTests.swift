import Foundation
import Testing

@testable import LoadTestKit

@Suite struct LatencyHistogramTests {
    /// The nearest-rank percentile of a sorted array: the definition the histogram promises.
    static func reference(_ sorted: [UInt64], _ p: Double) -> Double {
        let rank = max(1, min(sorted.count, Int((p / 100 * Double(sorted.count)).rounded(.up))))
        return Double(sorted[rank - 1])
    }

    enum Distribution: String, CaseIterable, CustomTestStringConvertible {
        case uniform, exponential, lognormal, bimodal, tiny
        var testDescription: String { rawValue }

        func sample(_ rng: inout SeededRandom) -> UInt64 {
            switch self {
            case .uniform: return UInt64.random(in: 0...2_000_000, using: &rng)
            case .exponential:
                return UInt64(-log(Double.random(in: 1e-12..<1, using: &rng)) * 3_000)
            case .lognormal:
                let u1 = Double.random(in: 1e-12..<1, using: &rng), u2 = Double.random(in: 0..<1, using: &rng)
                let z = sqrt(-2 * log(u1)) * cos(2 * .pi * u2)
                return UInt64(exp(7.5 + 1.2 * z))
            case .bimodal:
                return Bool.random(using: &rng)
                    ? UInt64.random(in: 400...900, using: &rng)
                    : UInt64.random(in: 40_000...250_000, using: &rng)
            case .tiny: return UInt64.random(in: 0...300, using: &rng)
            }
        }
    }

    @Test(arguments: Distribution.allCases)
    func percentilesMatchSortedReferenceWithinOnePercent(_ distribution: Distribution) {
        var rng = SeededRandom(seed: 42)
        var h = LatencyHistogram()
        var values: [UInt64] = []
        for _ in 0..<50_000 {
            let v = distribution.sample(&rng)
            values.append(v)
            h.record(microseconds: v)
        }
        values.sort()
        for p in [0.0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100] {
            let expected = Self.reference(values, p)
            let got = h.value(atPercentile: p)
            #expect(abs(got - expected) <= expected * 0.01, "p\(p): got \(got), expected \(expected)")
        }
        #expect(h.count == 50_000)
        #expect(h.max == values.last)
        #expect(h.min == values.first)
        let mean = Double(values.reduce(0, +)) / Double(values.count)
        #expect(abs(h.mean - mean) < 1e-6 * max(mean, 1))
    }

    @Test func everyBucketIsAtMostOnePercentWide() {
        for i in 0..<LatencyHistogram.bucketCount {
            let (lower, upper) = LatencyHistogram.bounds(of: i)
            #expect(upper > lower)
            if lower >= 100 { #expect(Double(upper - lower) / Double(lower) <= 0.01) }
            // Round trip: the bounds belong to the bucket.
            #expect(LatencyHistogram.index(of: lower) == i)
            #expect(LatencyHistogram.index(of: upper - 1) == i)
        }
    }

    @Test func valuesBelow256AreExact() {
        var h = LatencyHistogram()
        for v: UInt64 in [3, 3, 7, 200, 255] { h.record(microseconds: v) }
        #expect(h.value(atPercentile: 50) == 7)
        #expect(h.value(atPercentile: 70) == 200)
        #expect(h.value(atPercentile: 20) == 3)
    }

    @Test func mergeEqualsRecordingEverythingInOne() {
        var rng = SeededRandom(seed: 7)
        var a = LatencyHistogram(), b = LatencyHistogram(), all = LatencyHistogram()
        for i in 0..<10_000 {
            let v = UInt64.random(in: 0...5_000_000, using: &rng)
            if i % 3 == 0 { a.record(microseconds: v) } else { b.record(microseconds: v) }
            all.record(microseconds: v)
        }
        a.merge(b)
        #expect(a == all)
        var empty = LatencyHistogram()
        empty.merge(LatencyHistogram())
        #expect(empty.isEmpty && empty.value(atPercentile: 99) == 0)
    }

    @Test func hugeAndNegativeDurationsAreClamped() {
        var h = LatencyHistogram()
        h.record(.seconds(-1))
        h.record(.seconds(10_000_000))
        h.record(.milliseconds(2))
        #expect(h.min == 0)
        #expect(h.max == LatencyHistogram.maxTrackable)
        #expect(abs(h.value(atPercentile: 50) - 2000) <= 20)
    }

    @Test func summaryIsInMilliseconds() {
        var h = LatencyHistogram()
        for ms in 1...100 { h.record(.milliseconds(ms)) }
        let s = h.summary
        #expect(s.count == 100)
        #expect(abs(s.p50Ms - 50) <= 0.5)
        #expect(abs(s.p99Ms - 99) <= 0.99)
        #expect(s.maxMs == 100)
        #expect(abs(s.meanMs - 50.5) < 1e-9)
    }
}
