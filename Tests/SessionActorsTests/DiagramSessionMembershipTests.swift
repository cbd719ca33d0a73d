import CollabCore
import Testing

@testable import SessionActors

/// Join order, host and presenter roles, removal by the host, host hand-off, limits.
@Suite struct DiagramSessionMembershipTests {
    typealias S = SessionFixture

    @Test func joinSendsStateThenPresenterThenParticipants() async {
        let session = S.make(cells: [S.node("n1")])
        let a = await S.join(session, S.alice)
        let first = a.take()
        #expect(
            first.map { $0["message_type"]?.stringValue } == [
                "diagram_state_sync", "current_presenter", "participants_update",
            ])
        #expect(first[0]["cells"]?.arrayValue?.count == 1 && first[0]["diagram_id"] == "d1")
        #expect(first[1]["current_presenter"]?["user_id"] == "alice-id")
        #expect(first[2]["host"] == "alice-id")

        let b = await S.join(session, S.bob, .reader)
        #expect(b.takeTypes() == ["diagram_state_sync", "current_presenter", "participants_update"])
        let toAlice = a.take()
        #expect(
            toAlice.map { $0["message_type"]?.stringValue } == ["participant_joined", "participants_update"])
        #expect(toAlice[0]["joined_user"]?["email"] == "bob@test.tmi")
        // Times come from the injected clock (1_700_000_000 s), as RFC 3339 UTC.
        #expect(toAlice[0]["timestamp"] == "2023-11-14T22:13:20.000Z")
        let rows = toAlice[1]["participants"]?.arrayValue ?? []
        #expect(rows.map { $0["user"]?["user_id"]?.stringValue } == ["alice-id", "bob-id"])
        #expect(rows.map { $0["permissions"]?.stringValue } == ["writer", "reader"])
        // A second connection of the same user is not a new participant.
        _ = await S.join(session, S.bob, .reader, connection: "bob-tab-2")
        #expect(a.takeTypes() == ["participants_update"])
    }

    @Test func hostHandsOffToLongestConnectedWriterThenReader() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob, .reader)
        let c = await S.join(session, S.carol, .writer)
        _ = (a.take(), b.take(), c.take())
        await session.leave(connectionID: "alice-id")
        let update = b.take().last { $0["message_type"] == "participants_update" }
        #expect(update?["host"] == "carol-id")
        // The presenter (alice) left too: the new host presents.
        #expect(update?["current_presenter"] == "carol-id")
        #expect(c.takeTypes() == ["participant_left", "participants_update", "current_presenter"])
        await session.leave(connectionID: "carol-id")
        #expect(await session.summary.host?.userID == "bob-id")
        await session.leave(connectionID: "bob-id")
        #expect(await session.participantCount == 0)
        // An empty session's first joiner becomes host.
        _ = await S.join(session, S.carol)
        #expect(await session.summary.host?.userID == "carol-id")
    }

    @Test func onlyTheHostRemovesAndTheRemovedCannotRejoin() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        let removeAlice: JSONValue = [
            "message_type": "remove_participant", "removed_user": ["user_id": "alice-id"],
        ]
        await session.receive(S.text(removeAlice), from: "bob-id")
        #expect(b.take().first?["code"] == "not_host")
        #expect(a.take().isEmpty)

        let removeBob: JSONValue = [
            "message_type": "remove_participant", "removed_user": ["email": "bob@test.tmi"],
        ]
        await session.receive(S.text(removeBob), from: "alice-id")
        #expect(b.closed == .removedByHost)
        #expect(b.take().last?["code"] == "removed_by_host")
        #expect(a.takeTypes() == ["participant_left", "participants_update"])
        let again = MemoryOutbox()
        let result = await session.join(
            ParticipantIdentity(connectionID: "bob-2", user: S.bob, role: .writer), outbox: again)
        #expect(result == .refused(.removedByHost))
        #expect(again.closed == .joinRefused(.removedByHost))
        // The host cannot remove themselves.
        let removeSelf: JSONValue = [
            "message_type": "remove_participant", "removed_user": ["user_id": "alice-id"],
        ]
        await session.receive(S.text(removeSelf), from: "alice-id")
        #expect(a.take().first?["error"] == "invalid_participant")
    }

    @Test func leavingByUserClosesEveryConnectionOfThatUser() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b1 = await S.join(session, S.bob, connection: "b1")
        let b2 = await S.join(session, S.bob, connection: "b2")
        _ = a.take()
        await session.leave(userID: "bob-id")
        #expect(b1.closed == .left && b2.closed == .left)
        #expect(a.takeTypes() == ["participants_update", "participant_left", "participants_update"])
        #expect(await session.participantCount == 1)
    }

    @Test func participantLimitRefusesWithAnError() async {
        let session = S.make(configuration: SessionConfiguration(maxParticipants: 2))
        await S.join(session, S.alice)
        await S.join(session, S.bob)
        let c = MemoryOutbox()
        let result = await session.join(
            ParticipantIdentity(connectionID: "c", user: S.carol, role: .reader), outbox: c)
        #expect(result == .refused(.sessionFull))
        #expect(c.messages.first?["error"] == "session_full")
        #expect(c.closed == .joinRefused(.sessionFull))
    }

    @Test func perUserConnectionLimit() async {
        let session = S.make(configuration: SessionConfiguration(maxConnectionsPerUser: 2))
        await S.join(session, S.alice, connection: "a1")
        await S.join(session, S.alice, connection: "a2")
        let third = MemoryOutbox()
        let result = await session.join(
            ParticipantIdentity(connectionID: "a3", user: S.alice, role: .writer), outbox: third)
        #expect(result == .refused(.tooManyConnections))
        #expect(third.messages.first?["error"] == "too_many_connections")
    }

    @Test func reconnectResumesFromTheLogOrFallsBackToFullState() async {
        var config = SessionConfiguration(engine: .init(logCapacity: 3))
        config.logEntriesPerParticipant = 0  // the window this test is about stays 3
        let session = S.make(cells: [S.node("n")], configuration: config)
        await S.join(session, S.alice)
        for i in 1...4 {
            await session.receive(
                S.operation("m\(i)", [.update("n", ["x": .number(Double(i))])]), from: "alice-id")
        }
        let resumed = MemoryOutbox()
        _ = await session.join(
            ParticipantIdentity(connectionID: "b", user: S.bob, role: .reader), outbox: resumed, resumeFrom: 2
        )
        let got = resumed.take()
        #expect(got.prefix(2).map { $0["update_vector"]?.doubleValue } == [3, 4])
        #expect(got.prefix(2).allSatisfy { $0["message_type"] == "diagram_operation" })
        let tooOld = MemoryOutbox()
        _ = await session.join(
            ParticipantIdentity(connectionID: "c", user: S.carol, role: .reader), outbox: tooOld,
            resumeFrom: 0)
        #expect(tooOld.take().first?["message_type"] == "diagram_state_sync")
    }

    @Test func endingTellsEveryoneAndClosesThem() async {
        let persistence = RecordingSessionPersistence()
        let session = S.make(persistence: persistence)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        await session.end(.diagramDeleted)
        for o in [a, b] {
            #expect(o.messages.last?["code"] == "diagram_deleted")
            #expect(o.closed == .sessionEnded(.diagramDeleted))
        }
        #expect(persistence.snapshots.count == 1)
        let late = MemoryOutbox()
        #expect(
            await session.join(
                ParticipantIdentity(connectionID: "x", user: S.carol, role: .reader), outbox: late)
                == .refused(.sessionEnded))
    }
}
