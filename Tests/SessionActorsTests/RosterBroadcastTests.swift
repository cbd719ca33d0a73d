import CollabCore
import Testing

@testable import SessionActors

/// Past `rosterBroadcastLimit` connections the whole roster goes only to a joiner, so hundreds
/// of editors joining do not cost O(n³) bytes; the others still hear `participant_joined/left`.
@Suite struct RosterBroadcastTests {
    typealias S = SessionFixture

    static func user(_ i: Int) -> CollabUser { CollabUser(userID: "u\(i)", email: "u\(i)@test.tmi") }

    @Test func largeSessionsSendTheRosterToTheJoinerOnly() async {
        var configuration = SessionConfiguration()
        configuration.rosterBroadcastLimit = 2
        let session = S.make(configuration: configuration)
        let first = await S.join(session, Self.user(0))
        await S.join(session, Self.user(1))
        _ = first.take()
        // The third join passes the limit: the first participant is told who joined, no roster.
        let third = await S.join(session, Self.user(2))
        #expect(first.takeTypes() == ["participant_joined"])
        #expect(third.takeTypes().contains("participants_update"))
        // A leave tells everyone who left; the roster follows only when the host changes.
        await session.leave(connectionID: "u1")
        #expect(first.takeTypes() == ["participant_left"])
        _ = third.take()
        await session.leave(connectionID: "u0")
        #expect(third.takeTypes() == ["participant_left", "participants_update", "current_presenter"])
    }

    @Test func smallSessionsStillBroadcastTheRoster() async {
        let session = S.make()
        let first = await S.join(session, Self.user(0))
        _ = first.take()
        await S.join(session, Self.user(1))
        #expect(first.takeTypes() == ["participant_joined", "participants_update"])
    }
}
