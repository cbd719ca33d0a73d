import Testing

@testable import CollabCore

/// Contract defect (issue 12): the server's copy of a `diagram_operation` is the client's message
/// plus `sequence_number` and `update_vector` (DESIGN §6); it used to drop `base_vector`.
@Suite struct CollaborationBroadcastTests {
    typealias F = Fixture

    @Test func theBroadcastKeepsTheSendersBaseVector() throws {
        let n = F.node("n1", x: 10, y: 10)
        var e = F.engine([n])
        _ = e.submit(F.op("a1", base: 10, .update("n1", F.moved(n, x: 1, y: 1))), user: F.alice, origin: "A")
        // Based on 10 though the diagram is at 11: the copy says 10, sequenced as 12.
        let b = try #require(
            e.submit(F.op("b1", base: 10, .update("n1", F.relabelled(n, "x"))), user: F.bob, origin: "B")
                .accepted)
        #expect(b.message.baseVector == 10)
        let json = try JSONValue.parse(b.message.encoded())
        #expect(json["base_vector"] == 10)
        #expect(json["sequence_number"] == 12 && json["update_vector"] == 12)
        #expect(json["operation_id"] == "b1")
    }

    /// A client that sent no `base_vector` (meaning "current") gets a copy without one.
    @Test func noBaseVectorStaysAbsent() throws {
        var e = F.engine([])
        let a = try #require(
            e.submit(F.op("a1", .add(F.node("n1"))), user: F.alice, origin: "A").accepted)
        let json = try JSONValue.parse(a.message.encoded())
        #expect(json.objectValue?.keys.contains("base_vector") == false)
        #expect(json["update_vector"] == 11)
    }
}
