import Testing

@testable import CollabCore

/// Per-user selective undo/redo (DESIGN §6).
@Suite struct CollaborationHistoryTests {
    typealias F = Fixture

    @Test func undoDoesNotRevertAnotherUsersLaterChange() {
        let n = F.node("n1", x: 0, y: 0, label: "start")
        var e = F.engine([n])
        // Alice moves and relabels; bob then relabels again. Alice's undo restores her move only.
        let alices = F.relabelled(F.moved(n, x: 100, y: 100), "alice")
        _ = e.submit(F.op("a1", base: 10, .update("n1", alices)), user: F.alice, origin: "A")
        _ = e.submit(
            F.op("b1", base: 11, .update("n1", F.relabelled(alices, "bob"))), user: F.bob, origin: "B")
        let undo = e.history(.undo, user: F.alice, origin: "A", operationID: "u1")
        guard case .applied(let op) = undo else {
            Issue.record("expected an applied undo, got \(undo)")
            return
        }
        #expect(op.revision == 13)
        #expect(op.message.initiatingUser?.userID == F.alice.userID)
        #expect(e.state["n1"]?["x"] == 0 && e.state["n1"]?["y"] == 0)
        #expect(PropertyDelta.value(at: ["attrs", "text", "text"], in: e.state["n1"]) == "bob")
    }

    @Test func redoReappliesAndNewOperationClearsRedo() {
        let n = F.node("n1", x: 0)
        var e = F.engine([n])
        _ = e.submit(F.op("a1", .update("n1", F.moved(n, x: 40, y: 0))), user: F.alice, origin: "A")
        #expect(e.history(.undo, user: F.alice, origin: "A", operationID: "u") != .nothingToDo)
        #expect(e.state["n1"]?["x"] == 0)
        #expect(e.history(.redo, user: F.alice, origin: "A", operationID: "r") != .nothingToDo)
        #expect(e.state["n1"]?["x"] == 40)
        #expect(e.history(.undo, user: F.alice, origin: "A", operationID: "u2") != .nothingToDo)
        _ = e.submit(F.op("a2", .update("n1", ["y": 7])), user: F.alice, origin: "A")
        #expect(e.history(.redo, user: F.alice, origin: "A", operationID: "r2") == .nothingToDo)
    }

    @Test func undoIsPerUser() {
        var e = F.engine([])
        _ = e.submit(F.op("a1", .add(F.node("a"))), user: F.alice, origin: "A")
        _ = e.submit(F.op("b1", .add(F.node("b"))), user: F.bob, origin: "B")
        _ = e.history(.undo, user: F.alice, origin: "A", operationID: "u")
        #expect(e.state.cellIDs == ["b"])
        #expect(e.history(.undo, user: F.carol, origin: "C", operationID: "u2") == .nothingToDo)
    }

    @Test func undoOfRemoveRestoresNodeAndItsEdges() {
        var e = F.engine([F.node("a"), F.node("b"), F.edge("e", from: "a", to: "b")])
        _ = e.submit(F.op("r", .remove("a")), user: F.alice, origin: "A")
        #expect(e.state.cellIDs == ["b"])
        _ = e.history(.undo, user: F.alice, origin: "A", operationID: "u")
        #expect(Set(e.state.cellIDs) == ["a", "b", "e"])
        #expect(e.state["e"] == F.edge("e", from: "a", to: "b"))
    }

    @Test func undoSkipsAddedCellThatOthersChanged() {
        var e = F.engine([])
        _ = e.submit(F.op("a1", .add(F.node("a"))), user: F.alice, origin: "A")
        _ = e.submit(F.op("b1", .update("a", ["x": 5])), user: F.bob, origin: "B")
        #expect(e.history(.undo, user: F.alice, origin: "A", operationID: "u") == .nothingToDo)
        #expect(e.state["a"]?["x"] == 5)
    }

    @Test func undoWithEverythingOverwrittenFallsBackToEarlierEntry() {
        let n = F.node("n1", x: 0, y: 0)
        var e = F.engine([n])
        _ = e.submit(F.op("a1", .update("n1", ["y": 9])), user: F.alice, origin: "A")
        _ = e.submit(F.op("a2", .update("n1", ["x": 5])), user: F.alice, origin: "A")
        _ = e.submit(F.op("b1", .update("n1", ["x": 6])), user: F.bob, origin: "B")
        // a2's only change (x) was overwritten by bob: undo goes on to a1 and restores y.
        #expect(e.history(.undo, user: F.alice, origin: "A", operationID: "u") != .nothingToDo)
        #expect(e.state["n1"]?["x"] == 6 && e.state["n1"]?["y"] == 0)
    }
}
