/// CPU and memory of a process (the server, or the load tester itself) over a run, built from
/// successive `ProcFS` samples. CPU% is CPU seconds used per wall second between two samples
/// (100% = one core busy).
public struct ProcessUsage: Sendable {
    public struct Point: Sendable, Equatable {
        public var second: Double
        public var cpuPercent: Double
        public var rssBytes: UInt64
    }

    public var pid: Int32
    public private(set) var points: [Point] = []
    var last: (elapsed: Double, sample: ProcFS.Sample)? = nil
    var first: (elapsed: Double, sample: ProcFS.Sample)? = nil

    public init(pid: Int32) { self.pid = pid }

    /// Adds a reading taken at `elapsed` seconds; the first one only sets the baseline.
    public mutating func add(_ sample: ProcFS.Sample, atElapsed elapsed: Double) {
        if first == nil { first = (elapsed, sample) }
        if let last, elapsed > last.elapsed {
            let cpu = (sample.cpuSeconds - last.sample.cpuSeconds) / (elapsed - last.elapsed) * 100
            points.append(Point(second: elapsed, cpuPercent: Swift.max(cpu, 0), rssBytes: sample.rssBytes))
        }
        last = (elapsed, sample)
    }

    /// Mean CPU% over the whole span sampled.
    public var meanCPUPercent: Double {
        guard let first, let last, last.elapsed > first.elapsed else { return 0 }
        return Swift.max(last.sample.cpuSeconds - first.sample.cpuSeconds, 0) / (last.elapsed - first.elapsed)
            * 100
    }

    public var maxCPUPercent: Double { points.map(\.cpuPercent).max() ?? 0 }
    public var maxRSSBytes: UInt64 {
        Swift.max(points.map(\.rssBytes).max() ?? 0, last?.sample.rssBytes ?? 0)
    }
    public var lastRSSBytes: UInt64 { last?.sample.rssBytes ?? 0 }
    public var lastCPUPercent: Double { points.last?.cpuPercent ?? 0 }
}
