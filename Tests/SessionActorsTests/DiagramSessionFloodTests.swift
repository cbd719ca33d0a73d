import CollabCore
import Testing

@testable import SessionActors

private typealias S = SessionFixture

/// A participant flooding operations or cursor updates is rate-limited with a clear message, then
/// closed (the gateway maps `.messageFlood` to 1008), while the others keep being served.
@Suite struct DiagramSessionFloodTests {
    static func configuration() -> SessionConfiguration {
        var c = SessionConfiguration()
        c.messageRate = 10
        c.messageBurst = 5
        c.floodTolerance = 5
        return c
    }

    static func errors(_ messages: [JSONValue]) -> [String] {
        messages.filter { $0["message_type"] == "error" }.compactMap { $0["code"]?.stringValue }
    }

    @Test func operationFloodIsWarnedThenClosedWhileOthersAreServed() async {
        let clock = ManualClock()
        let session = S.make(configuration: Self.configuration(), clock: clock)
        let a = await S.join(session, S.alice)
        let b = await S.join(session, S.bob)
        _ = (a.take(), b.take())
        // The burst passes: five operations, five broadcasts.
        for i in 0..<5 {
            await session.receive(S.operation("a\(i)", [.add(S.node("n\(i)"))]), from: "alice-id")
        }
        #expect(b.take().filter { $0["message_type"] == "diagram_operation" }.count == 5)
        _ = a.take()
        // Over the limit (the clock does not move): dropped, and told once.
        await session.receive(S.operation("a5", [.add(S.node("n5"))]), from: "alice-id")
        await session.receive(S.operation("a6", [.add(S.node("n6"))]), from: "alice-id")
        #expect(Self.errors(a.take()) == ["message_rate_exceeded"])
        #expect(a.closed == nil)
        // Another participant is not affected.
        await session.receive(S.operation("b0", [.add(S.node("m0"))]), from: "bob-id")
        #expect(b.take().contains { $0["operation_id"] == "b0" && $0["message_type"] == "diagram_operation" })
        // Keeping on flooding exhausts the tolerance: closed, with a last error saying why.
        for i in 7..<20 {
            await session.receive(S.operation("a\(i)", [.add(S.node("x\(i)"))]), from: "alice-id")
        }
        #expect(a.closed == .messageFlood)
        #expect(Self.errors(a.take()) == ["message_flood"])
        #expect(await session.state.revision == 6)
        // Bob still works after Alice is gone.
        clock.advance(by: 1)
        await session.receive(S.operation("b1", [.add(S.node("m1"))]), from: "bob-id")
        #expect(b.take().contains { $0["operation_id"] == "b1" && $0["message_type"] == "diagram_operation" })
    }

    @Test func cursorFloodIsClosedToo() async {
        let session = S.make(configuration: Self.configuration())
        let a = await S.join(session, S.alice)  // the first to join presents
        _ = await S.join(session, S.bob)
        let cursor = S.text(["message_type": "presenter_cursor", "cursor_position": ["x": 1, "y": 1]])
        for _ in 0..<20 { await session.receive(cursor, from: "alice-id") }
        #expect(a.closed == .messageFlood)
    }

    @Test func aClientThatSlowsDownIsNeverClosed() async {
        let clock = ManualClock()
        let session = S.make(configuration: Self.configuration(), clock: clock)
        let a = await S.join(session, S.alice)
        for i in 0..<8 {
            await session.receive(S.operation("a\(i)", [.add(S.node("n\(i)"))]), from: "alice-id")
        }
        #expect(Self.errors(a.take()) == ["message_rate_exceeded"])
        // At the permitted pace for a long while: every message passes, no error, still connected.
        for i in 8..<200 {
            clock.advance(by: 0.1)
            await session.receive(S.operation("a\(i)", [.add(S.node("n\(i)"))]), from: "alice-id")
        }
        #expect(Self.errors(a.take()).isEmpty)
        #expect(a.closed == nil)
    }
}
