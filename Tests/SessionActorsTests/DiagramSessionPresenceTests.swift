import CollabCore
import Testing

@testable import SessionActors

/// Presenter request, grant and deny; cursor and selection relay from the presenter only.
@Suite struct DiagramSessionPresenceTests {
    typealias S = SessionFixture

    static func cursor(_ x: Double) -> [UInt8] {
        S.text(["message_type": "presenter_cursor", "cursor_position": ["x": .number(x), "y": 1]])
    }

    @Test func cursorIsRelayedFromThePresenterOnlyToOthers() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob, .reader)
        _ = (a.take(), b.take())
        await session.receive(Self.cursor(5), from: "alice-id")
        #expect(a.take().isEmpty)
        #expect(b.take().first?["cursor_position"] == ["x": 5, "y": 1])
        await session.receive(Self.cursor(6), from: "bob-id")
        await session.receive(Self.cursor(7), from: "bob-id")
        #expect(b.take().map { $0["error"] } == ["not_presenter"])  // told once, not per message
        #expect(a.take().isEmpty)
        await session.receive(
            S.text(["message_type": "presenter_selection", "selected_cells": ["c1"]]), from: "alice-id")
        #expect(b.take().first?["selected_cells"] == ["c1"])
    }

    @Test func cursorRateIsLimitedWithOneWarning() async {
        let clock = ManualClock()
        let session = S.make(configuration: SessionConfiguration(cursorRate: 2, cursorBurst: 2), clock: clock)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        for i in 0..<5 { await session.receive(Self.cursor(Double(i)), from: "alice-id") }
        #expect(b.take().count == 2)
        let warnings = a.take()
        #expect(warnings.count == 1 && warnings.first?["error"] == "rate_limited")
        clock.advance(by: 0.5)
        await session.receive(Self.cursor(9), from: "alice-id")
        #expect(b.take().first?["cursor_position"]?["x"] == 9)
    }

    @Test func presenterRequestDeniedThenHostHandsOver() async {
        let session = S.make()
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob, .reader)
        _ = (a.take(), b.take())
        await session.receive(S.text(["message_type": "presenter_request"]), from: "bob-id")
        let denied = b.take().first
        #expect(denied?["message_type"] == "presenter_denied")
        #expect(denied?["current_presenter"]?["user_id"] == "alice-id")

        let byBob: JSONValue = ["message_type": "change_presenter", "new_presenter": ["user_id": "bob-id"]]
        await session.receive(S.text(byBob), from: "bob-id")
        #expect(b.take().first?["code"] == "not_host")

        let byAlice: JSONValue = [
            "message_type": "change_presenter", "initiating_user": ["user_id": "alice-id"],
            "new_presenter": ["user_id": "bob-id"],
        ]
        await session.receive(S.text(byAlice), from: "alice-id")
        #expect(a.take().first?["current_presenter"]?["user_id"] == "bob-id")
        #expect(b.take().first?["current_presenter"]?["user_id"] == "bob-id")
        await session.receive(Self.cursor(3), from: "bob-id")
        #expect(a.take().first?["message_type"] == "presenter_cursor")
        // The host takes presenting back by asking.
        await session.receive(S.text(["message_type": "presenter_request"]), from: "alice-id")
        #expect(b.take().first?["current_presenter"]?["user_id"] == "alice-id")
    }
}
