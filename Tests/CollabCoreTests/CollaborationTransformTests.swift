import Testing

@testable import CollabCore

/// Intention tests for the transform of DESIGN §6: what each user meant survives concurrency.
@Suite struct CollaborationTransformTests {
    typealias F = Fixture

    @Test func concurrentMoveAndRelabelKeepBoth() {
        let n = F.node("n1", x: 10, y: 10, label: "Auth")
        var e = F.engine([n])
        // Both saw revision 10; alice moves, bob relabels, each sending the whole cell.
        let a = e.submit(
            F.op("a1", base: 10, .update("n1", F.moved(n, x: 300, y: 200))), user: F.alice, origin: "A")
        let b = e.submit(
            F.op("b1", base: 10, .update("n1", F.relabelled(n, "Login"))), user: F.bob, origin: "B")
        #expect(a.accepted?.revision == 11)
        #expect(b.accepted?.revision == 12)
        let cell = e.state["n1"]
        #expect(cell?["x"] == 300 && cell?["y"] == 200)
        #expect(PropertyDelta.value(at: ["attrs", "text", "text"], in: cell) == "Login")
        // The broadcast carries the whole server cell, not what bob sent.
        #expect(b.accepted?.message.cells.first?.data == cell)
        #expect(b.accepted?.message.updateVector == 12 && b.accepted?.message.sequenceNumber == 12)
    }

    @Test func samePropertyLaterArrivalWins() {
        let n = F.node("n1", label: "A")
        var e = F.engine([n])
        _ = e.submit(
            F.op("a1", base: 10, .update("n1", F.relabelled(n, "alice"))), user: F.alice, origin: "A")
        _ = e.submit(F.op("b1", base: 10, .update("n1", F.relabelled(n, "bob"))), user: F.bob, origin: "B")
        #expect(PropertyDelta.value(at: ["attrs", "text", "text"], in: e.state["n1"]) == "bob")
    }

    @Test func concurrentRemoveAndUpdateRemoves() {
        let n = F.node("n1")
        var e = F.engine([n, F.node("n2")])
        #expect(e.submit(F.op("a1", base: 10, .remove("n1")), user: F.alice, origin: "A").accepted != nil)
        let b = e.submit(
            F.op("b1", base: 10, .update("n1", F.moved(n, x: 5, y: 5))), user: F.bob, origin: "B")
        #expect(b.rejection?.reason == .conflictDetected)
        #expect(b.rejection?.affectedCells == ["n1"])
        #expect(e.state["n1"] == nil && e.revision == 11)
        // In a larger message the dropped update does not block the rest.
        let c = e.submit(
            F.op(
                "b2", base: 10, .update("n1", F.moved(n, x: 5, y: 5)),
                .update("n2", F.moved(F.node("n2"), x: 9, y: 9))),
            user: F.bob, origin: "B")
        #expect(c.accepted?.message.cells.map(\.id) == ["n2"])
        #expect(e.state["n1"] == nil)
    }

    @Test func updateOfUnknownCellIsRejected() {
        var e = F.engine([F.node("n1")])
        let r = e.submit(F.op("x", .update("ghost", F.node("ghost"))), user: F.alice, origin: "A")
        #expect(r.rejection?.reason == .validationFailed)
        #expect(r.rejection?.requiresResync == true)
    }

    @Test func addOfExistingIDIsAnUpdate() {
        let n = F.node("n1", x: 1, label: "keep")
        var e = F.engine([n])
        _ = e.submit(F.op("a1", base: 10, .update("n1", F.relabelled(n, "new"))), user: F.alice, origin: "A")
        // bob saw n1 at revision 10 and re-sends it as an add with a move: only the move applies.
        let b = e.submit(F.op("b1", base: 10, .add(F.moved(n, x: 50, y: 0))), user: F.bob, origin: "B")
        #expect(b.accepted?.message.cells.first?.kind == .update)
        #expect(e.state["n1"]?["x"] == 50)
        #expect(PropertyDelta.value(at: ["attrs", "text", "text"], in: e.state["n1"]) == "new")
        #expect(e.state.count == 1)
    }

    @Test func partialUpdateChangesOnlyNamedProperties() {
        var e = F.engine([F.node("n1", x: 1, y: 2, label: "L")])
        let r = e.submit(
            F.op("p", .update("n1", ["x": 110, "label": "Updated"])), user: F.alice, origin: "A")
        #expect(r.accepted != nil)
        #expect(e.state["n1"]?["x"] == 110 && e.state["n1"]?["y"] == 2)
        #expect(e.state["n1"]?["label"] == "Updated" && e.state["n1"]?["shape"] == "process")
    }

    @Test func wholeUpdateRemovesAbsentProperties() {
        var n = F.node("n1")
        n["zIndex"] = 3
        var e = F.engine([n])
        _ = e.submit(F.op("w", base: 10, .update("n1", F.node("n1"))), user: F.alice, origin: "A")
        #expect(e.state["n1"]?["zIndex"] == nil)
    }

    @Test func edgeToRemovedNodeIsRejectedWithStateCorrection() {
        var e = F.engine([F.node("a"), F.node("b")])
        _ = e.submit(F.op("r", base: 10, .remove("b")), user: F.alice, origin: "A")
        let r = e.submit(
            F.op("c", base: 10, .add(F.edge("e1", from: "a", to: "b"))), user: F.bob, origin: "B")
        #expect(r.rejection?.reason == .conflictDetected)
        #expect(r.rejection?.stateCorrection == true)
        #expect(e.state["e1"] == nil && e.revision == 11)
    }

    @Test func removingANodeRemovesItsEdgesInTheSameRevision() {
        var e = F.engine([
            F.node("a"), F.node("b"), F.edge("e1", from: "a", to: "b"), F.edge("e2", from: "e1", to: "b"),
        ])
        let r = e.submit(F.op("r", .remove("a")), user: F.alice, origin: "A")
        #expect(Set(r.accepted?.message.cells.map(\.id) ?? []) == ["a", "e1", "e2"])
        #expect(r.accepted?.message.cells.allSatisfy { $0.kind == .remove } == true)
        #expect(e.state.cellIDs == ["b"] && e.revision == 11)
        #expect(e.state.edges(attachedTo: "b").isEmpty)
    }

    @Test func nodeAndEdgeToItMayArriveInOneMessageInAnyOrder() {
        var e = F.engine([F.node("a")])
        let r = e.submit(
            F.op("m", .add(F.edge("e", from: "a", to: "b")), .add(F.node("b"))), user: F.alice, origin: "A")
        #expect(r.accepted?.revision == 11)
        #expect(e.state.cellIDs == ["a", "e", "b"])
    }

    @Test func messageIsAtomic() {
        var e = F.engine([F.node("a")])
        let before = e.state
        let r = e.submit(
            F.op(
                "m", .update("a", F.moved(F.node("a"), x: 9, y: 9)), .add(F.node("c")),
                .update("ghost", F.node("ghost"))),
            user: F.alice, origin: "A")
        #expect(r.rejection?.reason == .validationFailed)
        #expect(e.state == before)
        #expect(e.log.count == 0)
        // A rejected id is not remembered: the corrected message with the same id applies.
        #expect(e.submit(F.op("m", .add(F.node("c"))), user: F.alice, origin: "A").accepted?.revision == 11)
    }

    @Test func duplicateOperationIDIsNotAppliedTwice() {
        var e = F.engine([])
        let first = e.submit(F.op("dup", .add(F.node("a"))), user: F.alice, origin: "A")
        let again = e.submit(F.op("dup", .add(F.node("a", x: 99))), user: F.alice, origin: "A2")
        #expect(again == first.accepted.map { .duplicate(ack: $0.message) })
        #expect(e.revision == 11 && e.state["a"]?["x"] == 0)
        // After later revisions the ack carries the cell as it stands now, never the old copy.
        _ = e.submit(F.op("mv", .update("a", ["x": 7])), user: F.bob, origin: "B")
        guard case .duplicate(let ack) = e.submit(F.op("dup", .add(F.node("a"))), user: F.alice, origin: "A")
        else {
            Issue.record("expected a replayed ack")
            return
        }
        #expect(ack.updateVector == 12 && ack.sequenceNumber == 11)
        #expect(ack.cells.first?.data?["x"] == 7)
        let other = e.submit(F.op("dup", .add(F.node("b"))), user: F.bob, origin: "B")
        #expect(other.rejection?.reason == .validationFailed)
    }

    @Test func staleOrFutureBaseNeedsStateSync() {
        var e = F.engine([F.node("a")], logCapacity: 2)
        for i in 0..<3 {
            _ = e.submit(
                F.op("m\(i)", .update("a", ["x": .number(Double(i + 1))])), user: F.alice, origin: "A")
        }
        #expect(e.log.floor == 11)
        #expect(e.submit(F.op("old", base: 10, .remove("a")), user: F.bob, origin: "B") == .needsStateSync)
        #expect(e.submit(F.op("future", base: 99, .remove("a")), user: F.bob, origin: "B") == .needsStateSync)
        #expect(e.submit(F.op("ok", base: 11, .remove("a")), user: F.bob, origin: "B").accepted != nil)
    }

    @Test func ownUnacknowledgedOperationsAreTheClientsView() {
        let n = F.node("n1", x: 0, y: 0, label: "L")
        var e = F.engine([n])
        // Alice moves (base 10), bob relabels, then alice — not yet acked — moves again from her own
        // view (still base 10, whose cell is her first move). Her second message must not revert the
        // label (bob's) nor treat her first move as her change a second time.
        let firstMove = F.moved(n, x: 50, y: 50)
        _ = e.submit(F.op("a1", base: 10, .update("n1", firstMove)), user: F.alice, origin: "A")
        _ = e.submit(F.op("b1", base: 10, .update("n1", F.relabelled(n, "Bob"))), user: F.bob, origin: "B")
        _ = e.submit(
            F.op("a2", base: 10, .update("n1", F.moved(firstMove, x: 70, y: 50))), user: F.alice, origin: "A")
        #expect(e.state["n1"]?["x"] == 70)
        #expect(PropertyDelta.value(at: ["attrs", "text", "text"], in: e.state["n1"]) == "Bob")
    }

    @Test func noOpMessageIsRejected() {
        var e = F.engine([F.node("a")])
        let r = e.submit(F.op("same", .update("a", F.node("a"))), user: F.alice, origin: "A")
        #expect(r.rejection?.reason == .noStateChange)
        #expect(e.revision == 10)
    }

    @Test func changedCellsMustObeyTheSpecsCellRules() {
        let a = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
        let b = "123e4567-e89b-12d3-a456-426614174000"
        var e = DiagramEngine(state: DiagramState(revision: 1, cells: [F.node(a)]), validator: .spec)
        // A spec-valid move applies; a position that is not a number does not.
        #expect(e.submit(F.op("ok", .update(a, ["x": 5])), user: F.alice, origin: "A").accepted != nil)
        #expect(e.submit(F.op("bad", .update(a, ["x": "left"])), user: F.alice, origin: "A").rejection != nil)
        // A node narrower than the spec's minimum, or an unknown shape, rejects the whole message.
        let narrow = e.submit(
            F.op("w", .add(F.node(b)), .update(a, ["width": 10])), user: F.alice, origin: "A")
        #expect(narrow.rejection?.reason == .validationFailed && narrow.rejection?.affectedCells == [a])
        #expect(e.state[b] == nil)
        var banana = F.node(b)
        banana["shape"] = "banana"
        #expect(
            e.submit(F.op("s", .add(banana)), user: F.alice, origin: "A").rejection?.reason
                == .validationFailed)
        // Ids must be UUIDs, as everywhere in the API.
        #expect(e.submit(F.op("i", .add(F.node("not-a-uuid"))), user: F.alice, origin: "A").rejection != nil)
        // An edge must attach to nodes, not to other edges.
        let c = "00000000-0000-4000-8000-000000000001"
        let d = "00000000-0000-4000-8000-000000000002"
        #expect(
            e.submit(F.op("e", .add(F.node(b)), .add(F.edge(c, from: a, to: b))), user: F.alice, origin: "A")
                .accepted != nil)
        let edgeToEdge = e.submit(F.op("ee", .add(F.edge(d, from: a, to: c))), user: F.alice, origin: "A")
        #expect(edgeToEdge.rejection?.reason == .validationFailed)
        #expect(e.revision == 3)
    }

    @Test func diagramCannotGrowPastTheCellLimit() {
        var e = DiagramEngine(
            state: DiagramState(cells: [F.node("a")]), configuration: .init(maxCells: 2), validator: .none)
        #expect(e.submit(F.op("1", .add(F.node("b"))), user: F.alice, origin: "A").accepted != nil)
        #expect(
            e.submit(F.op("2", .add(F.node("c"))), user: F.alice, origin: "A").rejection?.reason
                == .validationFailed)
        // Replacing a cell within the limit is fine.
        #expect(
            e.submit(F.op("3", .remove("b"), .add(F.node("c"))), user: F.alice, origin: "A").accepted != nil)
    }

    @Test func newCellNeedsShape() {
        var e = F.engine([])
        #expect(
            e.submit(F.op("s", .add(["id": "x", "x": 1])), user: F.alice, origin: "A").rejection?.reason
                == .validationFailed)
    }
}
