import Testing

@testable import CollabCore

/// `DiagramEngine.rollBack`: operations that could not be stored are taken back from the log's
/// pre-images, exactly (cells, their order, the edge index, the revision), and their ids forgotten.
@Suite struct CollaborationRollbackTests {
    typealias F = Fixture

    @Test func rollingBackRestoresCellsOrderEdgesAndRevision() throws {
        var engine = F.engine([F.node("a"), F.node("b"), F.node("c"), F.edge("e", from: "a", to: "b")])
        let before = engine.state
        let user = F.alice
        // 11: move a; 12: remove b (its edge goes with it); 13: add d.
        for (id, cell) in [
            ("op1", CellOperation.update("a", F.moved(F.node("a"), x: 50, y: 5))), ("op2", .remove("b")),
            ("op3", .add(F.node("d"))),
        ] {
            guard
                case .accepted = engine.submit(
                    F.op(id, base: engine.revision, cell), user: user, origin: "c1")
            else {
                Issue.record("\(id) was not accepted")
                return
            }
        }
        #expect(engine.revision == 13)
        #expect(engine.state["e"] == nil)

        let rolledBack = engine.rollBack(to: 10)
        let undone = try #require(rolledBack)
        #expect(undone.map(\.operationID) == ["op1", "op2", "op3"])
        #expect(engine.state == before)
        #expect(engine.state.cellIDs == ["a", "b", "c", "e"])
        #expect(engine.state.edges(attachedTo: "b") == ["e"])
        #expect(engine.log.entries(after: 10).isEmpty)

        // The ids are forgotten: the same operation applies afresh, as revision 11.
        guard
            case .accepted(let again) = engine.submit(
                F.op("op3", base: 10, .add(F.node("d"))), user: user, origin: "c1")
        else {
            Issue.record("the resent operation was not applied")
            return
        }
        #expect(again.revision == 11)
    }

    @Test func aRollbackPastTheLogIsRefusedAndChangesNothing() {
        var engine = F.engine([F.node("a")], logCapacity: 2)
        for i in 0..<4 {
            _ = engine.submit(
                F.op("m\(i)", base: engine.revision, .update("a", F.moved(F.node("a"), x: Double(i), y: 0))),
                user: F.alice, origin: "c1")
        }
        let now = engine.state
        let tooFar = engine.rollBack(to: 10)
        #expect(tooFar == nil)
        #expect(engine.state == now)
        let revision = engine.revision
        let ahead = engine.rollBack(to: revision + 1)
        #expect(ahead == nil)
        let nothing = engine.rollBack(to: revision)
        #expect(nothing == [])
    }
}
