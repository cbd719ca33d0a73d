import Storage

/// Appends forever (up to `--max`) from several tasks, acknowledging each record on stdout, and
/// compacts every `--compact-every` records, the way a store does: state and journal are changed
/// together on an actor, the snapshot is taken from a copy and written off it.
struct CrashMode {
    let directory: String
    let run: String
    let tasks: Int
    let compactEvery: Int
    let maximum: Int

    init(_ arguments: ProbeArguments) {
        directory = arguments.string("dir", "probe-data")
        run = arguments.string("run", "run")
        tasks = max(1, arguments.int("tasks", 8))
        compactEvery = arguments.int("compact-every", 0)
        maximum = arguments.int("max", 100_000)
    }

    func run() async throws {
        let (log, recovery) = try await DurableLog.open(directory: directory, name: "probe")
        var records = recovery.snapshot.map { ProbeState.lines(of: $0) } ?? []
        records += recovery.records.map { String(decoding: $0.bytes, as: UTF8.self) }
        let state = ProbeState(log: log, records: records, compactEvery: compactEvery)
        let perTask = maximum / tasks
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask { [run] in
                    for n in 0..<perTask {
                        let record = "\(run)-\(task)-\(n)"
                        let sequence = try await state.add(record)
                        ProbeOutput.line("ack \(sequence) \(record)")
                    }
                }
            }
            try await group.waitForAll()
        }
        await log.close()
    }
}

actor ProbeState {
    let log: DurableLog
    /// The "state": every record applied so far, in sequence order (record n has sequence n + 1).
    var records: [String]
    let compactEvery: Int
    var sinceSnapshot = 0
    var compacting = false

    init(log: DurableLog, records: [String], compactEvery: Int) {
        self.log = log
        self.records = records
        self.compactEvery = compactEvery
    }

    func add(_ record: String) async throws -> UInt64 {
        let sequence = try log.enqueue(Array(record.utf8))
        records.append(record)
        sinceSnapshot += 1
        if compactEvery > 0, sinceSnapshot >= compactEvery, !compacting {
            compacting = true
            sinceSnapshot = 0
            let copy = records
            let log = self.log
            Task.detached {
                let bytes = Array(copy.joined(separator: "\n").utf8)
                try? await log.compact(snapshot: bytes, through: UInt64(copy.count))
                await self.compactionDone()
            }
        }
        try await log.waitDurable(sequence)
        return sequence
    }

    private func compactionDone() { compacting = false }

    static func lines(of snapshot: [UInt8]) -> [String] {
        snapshot.isEmpty
            ? []
            : snapshot.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
    }
}
