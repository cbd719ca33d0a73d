import Storage

/// Appends `--records` records of `--size` bytes from `--tasks` concurrent appenders.
struct AppendBenchmark {
    let directory: String
    let tasks: Int
    let records: Int
    let size: Int

    init(_ arguments: ProbeArguments) {
        directory = arguments.string("dir", "bench-data")
        tasks = max(1, arguments.int("tasks", 1))
        records = arguments.int("records", 2000)
        size = arguments.int("size", 1024)
    }

    func run() async throws {
        let (log, _) = try await DurableLog.open(directory: directory, name: "bench-\(tasks)")
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        let perTask = records / tasks
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    for _ in 0..<perTask { _ = try await log.append(payload) }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (clock.now - start).seconds
        let m = log.metrics
        await log.close()
        ProbeOutput.line(
            "tasks=\(tasks) appends=\(m.appends) seconds=\(fixed(seconds)) appends/s=\(Int(Double(m.appends) / seconds)) "
                + "fsyncs=\(m.fsyncs) fsyncs/s=\(Int(Double(m.fsyncs) / seconds)) "
                + "mean-batch=\(fixed(Double(m.appends) / Double(max(m.batches, 1)))) largest-batch=\(m.largestBatch)"
        )
    }
}

/// Writes a journal of `--records` records of `--size` bytes, then times opening it.
struct RecoveryBenchmark {
    let directory: String
    let records: Int
    let size: Int
    let repeats: Int

    init(_ arguments: ProbeArguments) {
        directory = arguments.string("dir", "bench-data")
        records = arguments.int("records", 10_000)
        size = arguments.int("size", 1024)
        repeats = max(1, arguments.int("repeat", 5))
    }

    func run() async throws {
        let name = "recover-\(records)"
        let (log, existing) = try await DurableLog.open(directory: directory, name: name)
        if existing.records.count < records {
            let payload =
                Array(#"{"id":"#.utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: max(size - 7, 0)) + [
                    125
                ]
            var last: UInt64 = 0
            for _ in existing.records.count..<records { last = try log.enqueue(payload) }
            try await log.waitDurable(last)
        }
        await log.close()
        let clock = ContinuousClock()
        var times: [Double] = []
        var count = 0
        for _ in 0..<repeats {
            let start = clock.now
            let (again, recovery) = try await DurableLog.open(directory: directory, name: name)
            times.append((clock.now - start).seconds)
            count = recovery.records.count
            await again.close()
        }
        times.sort()
        ProbeOutput.line(
            "records=\(count) size=\(size) median-seconds=\(fixed(times[times.count / 2])) "
                + "min-seconds=\(fixed(times[0])) records/s=\(Int(Double(count) / times[times.count / 2]))")
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

func fixed(_ value: Double) -> String {
    let scaled = (value * 10_000).rounded() / 10_000
    return "\(scaled)"
}
