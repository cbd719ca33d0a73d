import CollabCore
import Synchronization
import Testing

@testable import SessionActors

/// Persistence whose appends wait until the test settles them, each with success or a refusal
/// that says where the store stands (`OperationNotStored`), as the real store does after it took
/// a failed write back.
final class SettledPersistence: SessionPersistence {
    private struct Waiting {
        var revision: Int64
        var continuation: CheckedContinuation<OperationNotStored?, Never>
    }

    private let waiting = Mutex<[Waiting]>([])
    let arrivals: AsyncStream<Int64>
    private let arrived: AsyncStream<Int64>.Continuation
    let stored = Mutex<[Int64]>([])

    init() { (arrivals, arrived) = AsyncStream.makeStream() }

    func append(_ record: OperationRecord) async throws {
        let refusal = await withCheckedContinuation { c in
            waiting.withLock { $0.append(Waiting(revision: record.revision, continuation: c)) }
            arrived.yield(record.revision)
        }
        if let refusal { throw refusal }
        stored.withLock { $0.append(record.revision) }
    }

    func snapshotAvailable(_ snapshot: DiagramSnapshot) {}

    /// Completes every waiting append: the ones `fail` picks with the refusal, the others stored.
    func settle(failing fail: (Int64) -> Bool, with refusal: OperationNotStored) {
        let all = waiting.withLock { list -> [Waiting] in
            defer { list.removeAll() }
            return list
        }
        for w in all { w.continuation.resume(returning: fail(w.revision) ? refusal : nil) }
    }
}

/// A diagram operation that cannot be stored (a full disk) is rejected to its sender and taken
/// back; the session and the other participants go on, and later operations are stored.
@Suite struct DiagramSessionStorageFailureTests {
    typealias S = SessionFixture

    @Test func refusedOperationsAreTakenBackAndRejectedToTheirSendersOnly() async {
        let persistence = SettledPersistence()
        var arrivals = persistence.arrivals.makeAsyncIterator()
        let session = S.make(cells: [S.node("n"), S.node("m"), S.node("k")], persistence: persistence)
        let before = await session.state
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        let c = await S.join(session, S.carol)
        _ = (a.take(), b.take(), c.take())

        // Revision 1 (alice), then 2 (bob) on top of it, both waiting for the disk (`receive`
        // returns once the operation is stored or refused, hence the tasks).
        let first = Task {
            await session.receive(S.operation("op-a", [.add(S.node("new"))]), from: "alice-id")
        }
        #expect(await arrivals.next() == 1)
        let second = Task {
            await session.receive(
                S.operation("op-b", [.update("n", ["x": 5]), .remove("m")]), from: "bob-id")
        }
        #expect(await arrivals.next() == 2)
        #expect(await session.state["new"] != nil)

        // Both fail (one batch); the store stands at revision 0.
        let full = OperationNotStored(durableRevision: 0, diskFull: true, reason: "the disk is full")
        persistence.settle(failing: { _ in true }, with: full)
        await first.value
        await second.value

        #expect(!session.isEnded)
        #expect(await session.state == before, "the taken-back operations are gone, cell order included")
        let toAlice = a.take()
        let toBob = b.take()
        #expect(toAlice.map { $0["message_type"] } == ["operation_rejected"])
        #expect(toAlice.first?["operation_id"] == "op-a")
        #expect(toAlice.first?["requires_resync"] == true)
        #expect(toAlice.first?["reason"] == "conflict_detected")
        #expect(toAlice.first?["message"]?.stringValue?.contains("disk is full") == true)
        #expect(toBob.map { $0["message_type"] } == ["operation_rejected"])
        #expect(toBob.first?["operation_id"] == "op-b")
        #expect(c.takeTypes().allSatisfy { $0 != "diagram_operation" })

        // Space returns: the next operation is revision 1 again, stored and broadcast to all.
        let third = Task {
            await session.receive(S.operation("op-c", [.update("k", ["x": 9])]), from: "carol-id")
        }
        #expect(await arrivals.next() == 1)
        persistence.settle(failing: { _ in false }, with: full)
        await third.value
        // The resent operation is applied afresh, not taken for a duplicate.
        let fourth = Task {
            await session.receive(S.operation("op-a", [.add(S.node("new"))]), from: "alice-id")
        }
        #expect(await arrivals.next() == 2)
        persistence.settle(failing: { _ in false }, with: full)
        await fourth.value
        #expect(persistence.stored.withLock { $0 } == [1, 2])
        let seenByBob = b.take().filter { $0["message_type"] == "diagram_operation" }
        #expect(seenByBob.map { $0["operation_id"] } == ["op-c", "op-a"])
        #expect(seenByBob.map { $0["update_vector"] } == [1, 2])
        #expect(await session.state["new"] != nil)
        #expect(await session.state["k"]?["x"] == 9)
    }

    /// A refusal that says the store kept the operation (a backend that cannot take changes
    /// back) leaves no way to agree with the disk: the session ends, as before.
    @Test func aRefusalThatCannotBeTakenBackEndsTheSession() async {
        let persistence = SettledPersistence()
        var arrivals = persistence.arrivals.makeAsyncIterator()
        let session = S.make(persistence: persistence)
        let a = await S.join(session, S.alice)
        _ = a.take()
        let op = Task { await session.receive(S.operation("op", [.add(S.node("n"))]), from: "alice-id") }
        #expect(await arrivals.next() == 1)
        persistence.settle(
            failing: { _ in true },
            with: OperationNotStored(durableRevision: 1, diskFull: false, reason: "unavailable"))
        await op.value
        #expect(session.isEnded)
        #expect(a.closed == .sessionEnded(.persistenceFailed))
    }

    /// A REST change applied through the session answers "not stored", not "accepted".
    @Test func aServerOperationThatCannotBeStoredSaysSo() async {
        let persistence = SettledPersistence()
        var arrivals = persistence.arrivals.makeAsyncIterator()
        let session = S.make(persistence: persistence)
        async let outcome = session.applyServerOperation([.add(S.node("n"))], by: S.bob)
        #expect(await arrivals.next() == 1)
        persistence.settle(
            failing: { _ in true },
            with: OperationNotStored(durableRevision: 0, diskFull: true, reason: "full"))
        guard case .rejected(let rejection) = await outcome else {
            Issue.record("expected a rejection")
            return
        }
        #expect(rejection.notStored == .diskFull)
        #expect(await session.state["n"] == nil)
        #expect(await session.state.revision == 0)
    }
}
