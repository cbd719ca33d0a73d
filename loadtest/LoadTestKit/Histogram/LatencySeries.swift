/// Latency over time: one histogram per fixed window (a second by default), closed into a
/// `LatencySummary` point when time moves past it, so a chart can show how percentiles evolved
/// during a run without keeping every sample. Only the open window holds a full histogram.
public struct LatencySeries: Sendable {
    public struct Point: Sendable, Equatable {
        /// Window start, seconds since the series began.
        public var second: Double
        public var summary: LatencySummary
    }

    public let windowSeconds: Double
    public private(set) var points: [Point] = []
    var currentWindow: Int = 0
    var current = LatencyHistogram()

    public init(windowSeconds: Double = 1) {
        self.windowSeconds = windowSeconds > 0 ? windowSeconds : 1
    }

    /// Records `microseconds` observed at `elapsed` seconds since the series began. Samples that
    /// arrive late (for an already-closed window) count in the open window rather than being lost.
    public mutating func record(microseconds: UInt64, atElapsed elapsed: Double) {
        advance(to: elapsed)
        current.record(microseconds: microseconds)
    }

    /// Closes every window that ends at or before `elapsed`; empty windows produce no point.
    public mutating func advance(to elapsed: Double) {
        let window = Int((Swift.max(elapsed, 0) / windowSeconds).rounded(.down))
        if window > currentWindow {
            close()
            currentWindow = window
        }
    }

    /// The points so far plus the open window, for a final chart.
    public func finished() -> [Point] {
        var copy = self
        copy.close()
        return copy.points
    }

    mutating func close() {
        if !current.isEmpty {
            points.append(Point(second: Double(currentWindow) * windowSeconds, summary: current.summary))
            current.reset()
        }
    }
}
