import Testing

@testable import LoadTestKit

@Suite struct LatencySeriesTests {
    @Test func closesOnePointPerNonEmptyWindow() {
        var s = LatencySeries(windowSeconds: 1)
        s.record(microseconds: 1000, atElapsed: 0.1)
        s.record(microseconds: 3000, atElapsed: 0.9)
        s.record(microseconds: 5000, atElapsed: 1.2)
        s.record(microseconds: 9000, atElapsed: 3.5)  // second 2 is empty: no point
        #expect(s.points.count == 2)
        let all = s.finished()
        #expect(all.map(\.second) == [0, 1, 3])
        #expect(all[0].summary.count == 2)
        #expect(all[0].summary.maxMs == 3)
        #expect(all[2].summary.p50Ms == 9)
    }

    @Test func lateSamplesCountInTheOpenWindow() {
        var s = LatencySeries()
        s.record(microseconds: 100, atElapsed: 2.5)
        s.record(microseconds: 200, atElapsed: 1.0)
        let all = s.finished()
        #expect(all.count == 1)
        #expect(all[0].summary.count == 2)
    }
}
