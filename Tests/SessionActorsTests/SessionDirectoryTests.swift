import CollabCore
import Testing

@testable import SessionActors

/// Creating, finding, listing, ending and expiring sessions.
@Suite struct SessionDirectoryTests {
    typealias S = SessionFixture

    static func directory(_ clock: ManualClock) -> SessionDirectory {
        SessionDirectory(
            configuration: .init(inactivityTimeout: 900, emptyGracePeriod: 60), clock: clock.clock,
            makeID: { "id-\(Int.random(in: 0..<1_000_000))" })
    }

    @Test func createIsOncePerDiagram() async {
        let dir = Self.directory(ManualClock())
        guard
            case .created(let s) = await dir.create(
                threatModelID: "t", diagramID: "d", host: S.alice, state: DiagramState())
        else {
            Issue.record("expected a new session")
            return
        }
        guard
            case .exists(let again) = await dir.create(
                threatModelID: "t", diagramID: "d", host: S.bob, state: DiagramState())
        else {
            Issue.record("expected the live session")
            return
        }
        #expect(s === again)
        #expect(await dir.find(diagramID: "d") === s)
        #expect(
            await dir.join(
                diagramID: "nope", ParticipantIdentity(connectionID: "c", user: S.bob, role: .reader),
                outbox: MemoryOutbox()) == nil)
        let o = MemoryOutbox()
        #expect(
            await dir.join(
                diagramID: "d", ParticipantIdentity(connectionID: "c", user: S.bob, role: .reader), outbox: o)
                == .joined)
        let list = await dir.list()
        #expect(list.count == 1 && list[0].participants.map(\.user.userID) == ["bob-id"])
        await dir.leave(diagramID: "d", connectionID: "c")
        #expect(await s.participantCount == 0)
    }

    @Test func expiresEmptyAndIdleSessions() async {
        let clock = ManualClock()
        let dir = Self.directory(clock)
        _ = await dir.create(threatModelID: "t", diagramID: "empty", host: S.alice, state: DiagramState())
        _ = await dir.create(threatModelID: "t", diagramID: "busy", host: S.alice, state: DiagramState())
        let o = MemoryOutbox()
        _ = await dir.join(
            diagramID: "busy", ParticipantIdentity(connectionID: "c", user: S.alice, role: .writer), outbox: o
        )
        #expect(await dir.expire(now: clock.now + 59).isEmpty)
        #expect(await dir.expire(now: clock.now + 60) == ["empty"])
        #expect(await dir.expire(now: clock.now + 899).isEmpty)
        #expect(await dir.expire(now: clock.now + 900) == ["busy"])
        #expect(o.closed == .sessionEnded(.expired))
        #expect(await dir.count == 0)
    }

    @Test func aSessionThatEndedOnItsOwnIsReplaced() async {
        let dir = Self.directory(ManualClock())
        guard
            case .created(let first) = await dir.create(
                threatModelID: "t", diagramID: "d", host: nil, state: DiagramState())
        else {
            Issue.record("expected a new session")
            return
        }
        await first.end(.persistenceFailed)
        #expect(await dir.find(diagramID: "d") == nil)
        guard
            case .created(let second) = await dir.create(
                threatModelID: "t", diagramID: "d", host: nil, state: DiagramState())
        else {
            Issue.record("expected a replacement")
            return
        }
        #expect(second !== first && !second.isEnded)
    }

    @Test func endingTellsEveryoneAndDeletingAThreatModelEndsItsSessions() async {
        let dir = Self.directory(ManualClock())
        _ = await dir.create(threatModelID: "t1", diagramID: "d1", host: nil, state: DiagramState())
        _ = await dir.create(threatModelID: "t1", diagramID: "d2", host: nil, state: DiagramState())
        _ = await dir.create(threatModelID: "t2", diagramID: "d3", host: nil, state: DiagramState())
        let o = MemoryOutbox()
        _ = await dir.join(
            diagramID: "d1", ParticipantIdentity(connectionID: "c", user: S.alice, role: .writer), outbox: o)
        #expect(await dir.end(diagramID: "d1", reason: .hostEnded))
        #expect(o.messages.last?["code"] == "host_ended")
        #expect(await dir.end(diagramID: "d1", reason: .hostEnded) == false)
        await dir.endAll(threatModelID: "t1")
        #expect(await dir.list().map(\.diagramID) == ["d3"])
    }
}
