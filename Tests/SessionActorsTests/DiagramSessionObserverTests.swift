import CollabCore
import Testing

@testable import SessionActors

/// Console observers, every participant's selection, the operation rate and the change signal.
@Suite struct DiagramSessionObserverTests {
    typealias S = SessionFixture

    static func add(_ id: String) -> [UInt8] {
        S.operation("op-\(id)", [CellOperation(id: id, kind: .add, data: S.node(id))])
    }

    @Test func observerGetsStateThenBroadcastsAndIsNeverAParticipant() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let watcher = MemoryOutbox()
        #expect(await session.observe(id: "w", outbox: watcher))
        #expect(watcher.takeTypes() == ["diagram_state_sync", "current_presenter", "participants_update"])
        #expect(await session.summary.participants.count == 1)
        #expect(await session.observerCount == 1)
        _ = a.take()
        await session.receive(Self.add("n1"), from: "alice-id")
        #expect(watcher.takeTypes() == ["diagram_operation"])
        let b = await S.join(session, S.bob, .reader)
        #expect(watcher.takeTypes() == ["participant_joined", "participants_update"])
        // Selections of anyone reach observers; participants still see only the presenter's.
        _ = (a.take(), b.take())
        await session.receive(
            S.text(["message_type": "presenter_selection", "selected_cells": ["n1"]]), from: "bob-id")
        let seen = watcher.take()
        #expect(seen.first?["message_type"] == "participant_selection")
        #expect(seen.first?["user"]?["user_id"] == "bob-id")
        #expect(a.take().isEmpty)
        #expect(await session.consoleView.members.map(\.selection) == [[], ["n1"]])
        await session.stopObserving(id: "w")
        await session.receive(Self.add("n2"), from: "alice-id")
        #expect(watcher.take().isEmpty)
    }

    @Test func endingTheSessionClosesObservers() async {
        let session = S.make()
        _ = await S.join(session, S.alice)
        let watcher = MemoryOutbox()
        await session.observe(id: "w", outbox: watcher)
        _ = watcher.take()
        await session.end(.hostEnded)
        #expect(watcher.take().first?["error"] == "session_ended")
        #expect(watcher.closed == .sessionEnded(.hostEnded))
        #expect(await session.observe(id: "late", outbox: MemoryOutbox()) == false)
    }

    @Test func observersAreLimited() async {
        var configuration = SessionConfiguration()
        configuration.maxObservers = 1
        let session = S.make(configuration: configuration)
        #expect(await session.observe(id: "1", outbox: MemoryOutbox()))
        let refused = MemoryOutbox()
        #expect(await session.observe(id: "2", outbox: refused) == false)
        #expect(refused.closed == .joinRefused(.sessionFull))
    }

    @Test func operationRateCountsTheLastMinuteOnly() async {
        let clock = ManualClock()
        let session = S.make(clock: clock)
        _ = await S.join(session, S.alice)
        for i in 0..<3 { await session.receive(Self.add("a\(i)"), from: "alice-id") }
        clock.advance(by: 30)
        await session.receive(Self.add("b"), from: "alice-id")
        #expect(await session.consoleView.operationsLastMinute == 4)
        clock.advance(by: 31)
        #expect(await session.consoleView.operationsLastMinute == 1)
        clock.advance(by: 60)
        #expect(await session.consoleView.operationsLastMinute == 0)
    }

    @Test func joinTimesAreKeptPerUser() async {
        let clock = ManualClock()
        let session = S.make(clock: clock)
        _ = await S.join(session, S.alice)
        clock.advance(by: 5)
        _ = await S.join(session, S.bob)
        _ = await S.join(session, S.alice, connection: "alice-tab-2")
        let members = await session.consoleView.members
        #expect(members.map(\.user.userID) == ["alice-id", "bob-id"])
        #expect(members[1].joinedAt - members[0].joinedAt == 5)
    }

    @Test func directorySignalsStartsChangesAndEnds() async {
        let directory = SessionDirectory()
        var changes = directory.changes.subscribe().makeAsyncIterator()
        guard
            case .created(let session) = await directory.create(
                threatModelID: "tm", diagramID: "d", host: nil, state: DiagramState())
        else { return #expect(Bool(false)) }
        #expect(await changes.next() != nil)
        _ = await S.join(session, S.alice)
        #expect(await changes.next() != nil)
        await directory.end(diagramID: "d", reason: .hostEnded)
        #expect(await changes.next() != nil)
        #expect(await directory.consoleViews().isEmpty)
    }
}
