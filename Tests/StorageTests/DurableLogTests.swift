import Dispatch
import Testing

@testable import Storage

@Suite struct DurableLogTests {
    @Test func freshLogAppendsAndRecovers() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, first) = try await DurableLog.open(directory: dir.file("data/nested"), name: "model")
        #expect(first.snapshot == nil && first.records.isEmpty && first.snapshotSequence == 0)
        for i in 1...3 { #expect(try await log.append(.record("r\(i)")) == UInt64(i)) }
        await log.close()
        let (again, recovery) = try await DurableLog.open(directory: dir.file("data/nested"), name: "model")
        #expect(recovery.records.map(\.text) == ["r1", "r2", "r3"])
        #expect(again.lastSequence == 3)
        await again.close()
    }

    @Test func compactionReplacesTheJournal() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, _) = try await DurableLog.open(directory: dir.path, name: "m")
        for i in 1...10 { _ = try await log.append(.record("r\(i)")) }
        try await log.compact(snapshot: Array("state through 10".utf8), through: 10)
        #expect(log.snapshotSequence == 10)
        for i in 11...12 { _ = try await log.append(.record("r\(i)")) }
        #expect(try dir.names() == ["m.journal.2", "m.snapshot"])
        await log.close()

        let (again, recovery) = try await DurableLog.open(directory: dir.path, name: "m")
        #expect(recovery.snapshot == Array("state through 10".utf8))
        #expect(recovery.snapshotSequence == 10)
        #expect(recovery.records.map(\.sequence) == [11, 12])
        #expect(try await again.append(.record("r13")) == 13)
        await again.close()
    }

    /// A snapshot taken before the journal's end (appends raced ahead) keeps the generation
    /// holding the later records; the next compaction removes it.
    @Test func snapshotBehindTheJournalKeepsTheRecordsAfterIt() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, _) = try await DurableLog.open(directory: dir.path, name: "m")
        for i in 1...10 { _ = try await log.append(.record("r\(i)")) }
        try await log.compact(snapshot: Array("1-6".utf8), through: 6)
        _ = try await log.append(.record("r11"))
        #expect(try dir.names() == ["m.journal.1", "m.journal.2", "m.snapshot"])
        await log.close()

        let (again, recovery) = try await DurableLog.open(directory: dir.path, name: "m")
        #expect(recovery.snapshotSequence == 6)
        #expect(recovery.records.map(\.text) == ["r7", "r8", "r9", "r10", "r11"])
        try await again.compact(snapshot: Array("1-11".utf8), through: 11)
        #expect(try dir.names() == ["m.journal.3", "m.snapshot"])
        await again.close()
        let (_, last) = try await DurableLog.open(directory: dir.path, name: "m")
        #expect(last.snapshot == Array("1-11".utf8) && last.records.isEmpty)
    }

    @Test func appendsDuringCompactionAreKeptExactlyOnce() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, _) = try await DurableLog.open(directory: dir.path, name: "m")
        for i in 1...20 { _ = try await log.append(.record("r\(i)")) }
        let acknowledged = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for task in 0..<4 {
                group.addTask {
                    var acks: [UInt64] = []
                    for i in 0..<10 { acks.append(try await log.append(.record("t\(task)-\(i)"))) }
                    return acks
                }
            }
            try await log.compact(snapshot: Array("through 20".utf8), through: 20)
            var all: [UInt64] = []
            for try await acks in group { all += acks }
            return all
        }
        await log.close()
        let (_, recovery) = try await DurableLog.open(directory: dir.path, name: "m")
        #expect(recovery.snapshotSequence == 20)
        #expect(recovery.records.map(\.sequence) == Array(21...60))
        #expect(Set(acknowledged) == Set(21...60))
    }

    @Test func compactionArgumentsAreChecked() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, _) = try await DurableLog.open(directory: dir.path, name: "m")
        _ = try await log.append(.record("a"))
        await #expect(throws: StorageError.self) { try await log.compact(snapshot: [], through: 2) }
        try await log.compact(snapshot: [], through: 1)
        await #expect(throws: StorageError.self) { try await log.compact(snapshot: [], through: 0) }
        await log.close()
    }

    @Test func secondConcurrentCompactionIsRefused() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let thread = try IOThread(name: "test-journal")
        defer { thread.stop() }
        let (log, _) = try await DurableLog.open(
            directory: dir.path, name: "m", options: StorageOptions(journalThread: thread))
        _ = try await log.append(.record("a"))
        let gate = DispatchSemaphore(value: 0)
        thread.submit { gate.wait() }
        async let first: Void = log.compact(snapshot: [], through: 1)
        while !log.state.withLock({ $0.compacting }) { await Task.yield() }
        await #expect(throws: StorageError.self) { try await log.compact(snapshot: [], through: 1) }
        gate.signal()
        try await first
        await log.close()
    }

    @Test(arguments: ["", ".hidden", "a/b", "../up", "sp ace"])
    func badNamesAreRefused(name: String) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        await #expect(throws: StorageError.self) {
            try await DurableLog.open(directory: dir.path, name: name)
        }
    }

    @Test func otherLogsInTheDirectoryAreLeftAlone() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (a, _) = try await DurableLog.open(directory: dir.path, name: "a")
        let (b, _) = try await DurableLog.open(directory: dir.path, name: "a.journal.1-b")
        _ = try await a.append(.record("for a"))
        _ = try await b.append(.record("for b"))
        try await a.compact(snapshot: [], through: 1)
        await a.close()
        await b.close()
        #expect(
            try await DurableLog.open(directory: dir.path, name: "a.journal.1-b").recovery.records.count == 1)
    }

    @available(*, noasync)
    @Test func synchronousOpenForStartUp() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (log, _) = try DurableLog.open(directory: dir.path, name: "m")
        #expect(try log.appendSync(.record("x")) == 1)
        log.closeSync()
        #expect(try DurableLog.open(directory: dir.path, name: "m").recovery.records.map(\.text) == ["x"])
    }
}
