import Dispatch
import Foundation
import Synchronization
import Testing

@testable import Storage

@Suite struct JournalTests {
    @Test func appendThenReopenRoundTrips() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let path = dir.file("j.journal")
        let (journal, initial) = try await Journal.open(path: path)
        #expect(initial.isEmpty)
        var sequences: [UInt64] = []
        for i in 0..<5 { sequences.append(try await journal.append(.record(#"{"n":\#(i)}"#))) }
        #expect(sequences == [1, 2, 3, 4, 5])
        #expect(journal.durableSequence == 5)
        await journal.close()

        let (again, records) = try await Journal.open(path: path)
        #expect(records.map(\.text) == (0..<5).map { #"{"n":\#($0)}"# })
        #expect(records.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(try await again.append(.record("next")) == 6)
        await again.close()
        #expect(try await Journal.open(path: path).records.count == 6)
    }

    @Test func reopeningCutsTheTornTailBeforeAppending() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let full = journalBytes([["a"], ["b"], ["c"]])
        try dir.write("j", Array(full.dropLast(3)))
        let (journal, records) = try await Journal.open(path: dir.file("j"))
        #expect(records.map(\.text) == ["a", "b"])
        #expect(try await journal.append(.record("c2")) == 3)
        await journal.close()
        #expect(try await Journal.open(path: dir.file("j")).records.map(\.text) == ["a", "b", "c2"])
    }

    @Test func corruptMiddleRecordFailsToOpen() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        var bytes = journalBytes([["a"], ["b"], ["c"]])
        bytes[lineStarts(bytes)[1] + 15] ^= 0x04
        try dir.write("j", bytes)
        await #expect(throws: StorageError.self) { try await Journal.open(path: dir.file("j")) }
    }

    @Test func rejectsOversizeAndMultiLineRecords() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (journal, _) = try await Journal.open(
            path: dir.file("j"), options: StorageOptions(maxRecordBytes: 8))
        #expect(throws: StorageError.recordTooLarge(size: 9, limit: 8)) {
            try journal.enqueue(.record("123456789"))
        }
        #expect(throws: StorageError.recordContainsNewline) { try journal.enqueue(.record("a\nb")) }
        #expect(try await journal.append(.record("12345678")) == 1)
        #expect(journal.metrics.appends == 1)
        await journal.close()
        #expect(throws: StorageError.closed(path: dir.file("j"))) { try journal.enqueue(.record("x")) }
    }

    @Test func waitingForATicketNeverIssuedIsAnError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (journal, _) = try await Journal.open(path: dir.file("j"))
        await #expect(throws: StorageError.self) { try await journal.waitDurable(1) }
        let ticket = try journal.enqueue(.record("a"))
        try await journal.waitDurable(ticket)
        try await journal.waitDurable(ticket)  // already durable: returns at once
        await journal.close()
    }

    /// Group commit, made deterministic: the journal's thread is held busy while 100 appenders
    /// queue their records, then released; all 100 go out in one write and one fsync.
    @Test func concurrentAppendsShareOneFsync() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let thread = try IOThread(name: "test-journal")
        defer { thread.stop() }
        let (journal, _) = try await Journal.open(
            path: dir.file("j"), options: StorageOptions(journalThread: thread))
        let gate = DispatchSemaphore(value: 0)
        thread.submit { gate.wait() }
        try await withThrowingTaskGroup(of: UInt64.self) { group in
            for i in 0..<100 { group.addTask { try await journal.append(.record("r\(i)")) } }
            while journal.lastSequence < 100 { await Task.yield() }
            gate.signal()
            var acknowledged: Set<UInt64> = []
            for try await sequence in group { acknowledged.insert(sequence) }
            #expect(acknowledged == Set(1...100))
        }
        let metrics = journal.metrics
        #expect(metrics.appends == 100)
        #expect(metrics.batches == 1)
        #expect(metrics.fsyncs == 1)
        #expect(metrics.largestBatch == 100)
        await journal.close()
        #expect(try await Journal.open(path: dir.file("j")).records.count == 100)
    }

    @Test func batchLimitsSplitTheQueue() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let thread = try IOThread(name: "test-journal")
        defer { thread.stop() }
        let options = StorageOptions(maxBatchRecords: 10, journalThread: thread)
        let (journal, _) = try await Journal.open(path: dir.file("j"), options: options)
        let gate = DispatchSemaphore(value: 0)
        thread.submit { gate.wait() }
        let tickets = try (0..<95).map { i in try journal.enqueue(.record("r\(i)")) }
        gate.signal()
        for ticket in tickets { try await journal.waitDurable(ticket) }
        #expect(journal.metrics.batches == 10)
        #expect(journal.metrics.largestBatch == 10)
        await journal.close()
        let records = try await Journal.open(path: dir.file("j")).records
        #expect(records.map(\.text) == (0..<95).map { "r\($0)" })
    }

    /// Many tasks, each appending in sequence: every acknowledged record is recovered, under the
    /// sequence number its acknowledgement returned, and each task's records keep their order.
    @Test func concurrentAppendsRecoverInAcknowledgedOrder() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (journal, _) = try await Journal.open(path: dir.file("j"))
        let acknowledged = try await withThrowingTaskGroup(of: [(UInt64, String)].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var acks: [(UInt64, String)] = []
                    for i in 0..<25 {
                        let text = "t\(task)-\(i)"
                        acks.append((try await journal.append(.record(text)), text))
                    }
                    return acks
                }
            }
            var all: [[(UInt64, String)]] = []
            for try await acks in group { all.append(acks) }
            return all
        }
        #expect(journal.metrics.fsyncs <= journal.metrics.appends)
        await journal.close()
        let records = try await Journal.open(path: dir.file("j")).records
        let bySequence = Dictionary(uniqueKeysWithValues: records.map { ($0.sequence, $0.text) })
        #expect(records.count == 16 * 25)
        for acks in acknowledged {
            #expect(acks.map(\.0) == acks.map(\.0).sorted())
            for (sequence, text) in acks { #expect(bySequence[sequence] == text) }
        }
    }

    /// `append` enqueues on the caller's actor before suspending, so an actor's appends are
    /// journaled in the order the actor ran them (what an apply-then-journal store relies on).
    @Test func appendsFromAnActorKeepItsOrder() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (journal, _) = try await Journal.open(path: dir.file("j"))
        let recorder = OrderRecorder(journal: journal)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<50 { group.addTask { try? await recorder.apply(i) } }
        }
        let (order, sequences) = await recorder.result()
        #expect(order.count == 50)
        for (position, item) in order.enumerated() { #expect(sequences[item] == UInt64(position + 1)) }
        await journal.close()
    }

    @available(*, noasync)
    @Test func synchronousStartUpAPI() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let (journal, _) = try Journal.open(path: dir.file("j"))
        #expect(try journal.appendSync(.record("a")) == 1)
        #expect(try journal.appendSync(.record("b")) == 2)
        journal.closeSync()
        #expect(try Journal.open(path: dir.file("j")).records.map(\.text) == ["a", "b"])
    }

    /// A full disk surfaces as an error to the appender, never a crash; the journal then refuses
    /// further appends until reopened. (The journal's file is a link to /dev/full.)
    @Test func fullDiskIsAnErrorAndStopsTheJournal() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let path = dir.file("full")
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/full")
        let fd = try FileIO.openForAppend(path)
        let journal = try Journal(fd: fd, path: path, length: 0, nextSequence: 1, options: StorageOptions())
        do {
            _ = try await journal.append(.record("a"))
            Issue.record("append to a full disk succeeded")
        } catch {
            #expect(error.isDiskFull)
            #expect(error.description.contains(path))
        }
        #expect(throws: StorageError.self) { try journal.enqueue(.record("b")) }
        #expect(journal.metrics.failures == 1)
        await journal.close()
    }

    @Test func unwritableLocationIsAnError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try dir.write("file", [])
        await #expect(throws: StorageError.self) { try await Journal.open(path: dir.file("file/j")) }
    }
}

/// Applies numbered changes and journals them, remembering the order it ran them in.
private actor OrderRecorder {
    let journal: Journal
    var order: [Int] = []
    var sequences: [Int: UInt64] = [:]

    init(journal: Journal) { self.journal = journal }

    func apply(_ item: Int) async throws {
        order.append(item)
        sequences[item] = try await journal.append(.record("item \(item)"))
    }

    func result() -> ([Int], [Int: UInt64]) { (order, sequences) }
}
