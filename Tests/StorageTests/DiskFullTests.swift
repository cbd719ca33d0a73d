import Foundation
import Synchronization
import Testing

@testable import Storage

/// Makes the journal's writes fail with a chosen errno until switched off (`writeFault` seam).
final class FaultSwitch: Sendable {
    let code = Mutex<Int32?>(nil)
    var options: StorageOptions {
        var options = StorageOptions()
        options.writeFault = { [self] _ in code.withLock { $0 } }
        return options
    }
    func set(_ errno: Int32?) { code.withLock { $0 = errno } }
}

/// A full disk or an I/O error: the write is refused, nothing acknowledged is lost, and writes
/// succeed again once the cause is gone (docs/fuzzing.md, "A full disk").
@Suite struct DiskFullTests {
    @Test(arguments: [ENOSPC, EIO])
    func journalRefusesThenResumesWithoutGaps(code: Int32) async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let fault = FaultSwitch()
        let path = dir.file("j")
        let (journal, _) = try await Journal.open(path: path, options: fault.options)
        #expect(try await journal.append(.record("a")) == 1)

        fault.set(code)
        await #expect(throws: StorageError.io(operation: "write", path: path, errno: code)) {
            try await journal.append(.record("lost"))
        }
        #expect(journal.failedThrough == 1)
        #expect(!journal.acceptsWrites)
        // Until the owner has taken the lost change back, nothing more is accepted.
        #expect(throws: StorageError.self) { try journal.enqueue(.record("refused")) }
        #expect(StorageError.io(operation: "write", path: path, errno: code).isDiskFull == (code == ENOSPC))

        // A torn batch left behind by the failed write must not hide later records.
        let fd = try FileIO.openForAppend(path)
        try FileIO.writeAll(fd, Array("garbage-without-newline".utf8), path: path)
        FileIO.close(fd)

        #expect(journal.resumeAfterFailure() == 1)
        #expect(journal.resumeAfterFailure() == nil)
        // Still failing: the retry is refused again, and resumable again.
        await #expect(throws: StorageError.self) { try await journal.append(.record("lost2")) }
        #expect(journal.resumeAfterFailure() == 1)

        fault.set(nil)
        #expect(try await journal.append(.record("b")) == 2)
        #expect(try await journal.append(.record("c")) == 3)
        await journal.close()

        let (again, records) = try await Journal.open(path: path)
        #expect(records.map(\.text) == ["a", "b", "c"])
        #expect(records.map(\.sequence) == [1, 2, 3])
        await again.close()
    }

    /// The batch can fail before its appender starts waiting (the journal's thread is fast, the
    /// appender's task slow): that appender still learns the write error itself, not "unusable".
    @Test func anAppenderThatWaitsAfterTheFailureGetsTheWriteError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let fault = FaultSwitch()
        let path = dir.file("j")
        let (journal, _) = try await Journal.open(path: path, options: fault.options)
        fault.set(EIO)
        let failed = try journal.enqueue(.record("lost"))
        // Jobs run in order on the journal's thread: once this one has run, the batch has failed.
        try await journal.thread.run {}
        #expect(journal.failedThrough == 0)
        await #expect(throws: StorageError.io(operation: "write", path: path, errno: EIO)) {
            try await journal.waitDurable(failed)
        }
        await journal.close()
    }

    static func model(_ n: Int) -> (String, [StoreMutation]) {
        let id = "00000000-0000-4000-8000-\(String(format: "%012d", n))"
        return (id, [.putModel(id: id, fields: ["id": .string(id), "name": .string("model \(n)")])])
    }

    @Test func storeTakesBackARefusedChangeAndWritesAgainLater() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let fault = FaultSwitch()
        let (backend, initial) = try await EmbeddedStore.open(directory: dir.path, options: fault.options)
        let store = ThreatModelStore(state: initial, backend: backend)
        let (a, batchA) = Self.model(1)
        try await store.write { _ throws(Refused) in ((), batchA) }

        fault.set(ENOSPC)
        for n in 2...4 {
            let (id, batch) = Self.model(n)
            await #expect(throws: Refused.self) { try await store.write { _ throws(Refused) in ((), batch) } }
            #expect(store.state.models[id] == nil, "a refused change must not be visible")
        }
        // Concurrent writers during the failure: none acknowledged may be missing afterwards.
        let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
            for n in 5...12 {
                group.addTask {
                    let (id, batch) = Self.model(n)
                    let ok = (try? await store.write { _ throws(Refused) in ((), batch) }) != nil
                    return (id, ok)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { !$0.1 })
        #expect(store.state.models.keys.sorted() == [a])

        fault.set(nil)
        let (d, batchD) = Self.model(20)
        try await store.write { _ throws(Refused) in ((), batchD) }
        #expect(store.state.models.keys.sorted() == [a, d].sorted())
        let live = store.state
        await store.close()

        let reopened = try await ThreatModelStore.open(directory: dir.path)
        #expect(reopened.state == live)
        await reopened.close()
    }

    /// A ticket handed out before a failure never reads as durable after the resume, even
    /// though the journal hands its sequence number out again.
    @Test func aLostTicketStaysLostAfterTheResume() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let fault = FaultSwitch()
        let (backend, initial) = try await EmbeddedStore.open(directory: dir.path, options: fault.options)
        let store = ThreatModelStore(state: initial, backend: backend)
        fault.set(EIO)
        let (lostID, lostBatch) = Self.model(1)
        let (_, lostTicket) = try store.commit(
            { _ throws(Refused) in ((), lostBatch) }, unavailable: Refused.unavailable)
        // Let the failure happen and be settled by a second writer, then write successfully.
        let (_, other) = Self.model(2)
        _ = try? await store.write { _ throws(Refused) in ((), other) }
        fault.set(nil)
        let (kept, keptBatch) = Self.model(3)
        try await store.write { _ throws(Refused) in ((), keptBatch) }
        await #expect(throws: Refused.self) {
            try await store.waitDurable(lostTicket, unavailable: Refused.unavailable)
        }
        #expect(store.state.models[lostID] == nil)
        #expect(store.state.models[kept] != nil)
        await store.close()
    }

    /// The bookkeeping: lost ranges merge during an outage, lookups find the right entry.
    @Test func trackingMarksAndFindsTickets() {
        var t = DurabilityTracking()
        var state = StoreState()
        for backend in 1...3 { _ = t.record(undo: [], backendTicket: UInt64(backend)) }  // tickets 1-3
        t.confirm(through: 1)
        #expect(t.lookup(1) == .durable)
        #expect(t.lookup(3) == .wait(3))
        t.rollBack(&state)  // 2...3
        _ = t.record(undo: [], backendTicket: 2)  // ticket 4, the journal reuses number 2
        t.rollBack(&state)  // merged: 2...4
        _ = t.record(undo: [], backendTicket: 2)  // ticket 5
        t.confirm(through: 2)
        _ = t.record(undo: [], backendTicket: 3)  // ticket 6
        t.rollBack(&state)  // 6...6
        #expect(t.lost == [2...4, 6...6])
        #expect([1, 2, 3, 4, 5, 6, 7].map(t.isLost) == [false, true, true, true, false, true, false])
        #expect(t.lookup(5) == .durable)
        #expect(t.lookup(4) == .lost)
        #expect(t.pendingCount == 0)
    }
}
