import Testing

@testable import CollabCore

/// Property paths (objects recurse, arrays atomic), the ordered cell store and the bounded log.
@Suite struct CollaborationDeltaTests {
    @Test func objectsRecurseArraysAreAtomic() {
        let old: JSONValue = ["a": ["b": 1, "c": 2], "v": [1, 2], "gone": true]
        let new: JSONValue = ["a": ["b": 1, "c": 3], "v": [1, 2, 3], "added": "x"]
        let changes = PropertyDelta.changes(from: old, to: new).sorted {
            $0.path.lexicographicallyPrecedes($1.path)
        }
        #expect(
            changes == [
                PropertyChange(path: ["a", "c"], value: 3), PropertyChange(path: ["added"], value: "x"),
                PropertyChange(path: ["gone"], value: nil), PropertyChange(path: ["v"], value: [1, 2, 3]),
            ])
        var target: JSONValue = ["a": ["b": 9], "v": [7], "gone": false, "other": 1]
        PropertyDelta.apply(changes, to: &target)
        #expect(target == ["a": ["b": 9, "c": 3], "v": [1, 2, 3], "added": "x", "other": 1])
    }

    @Test(arguments: [
        (
            [PropertyChange(path: ["x"], value: 5), PropertyChange(path: ["position", "y"], value: 1.5)], true
        ),
        ([PropertyChange(path: ["x"], value: "5")], false),
        ([PropertyChange(path: ["width"], value: 10)], false),
        ([PropertyChange(path: ["position"], value: ["x": 1, "y": 2])], false),
        ([PropertyChange(path: ["y"], value: nil)], false),
        ([PropertyChange(path: ["x"], value: .number(.infinity))], false),
    ])
    func positionOnlyChanges(changes: [PropertyChange], expected: Bool) {
        #expect(PropertyDelta.onlyMovesPosition(changes) == expected)
    }

    @Test func settingBelowANonObjectReplacesIt() {
        var target: JSONValue = ["attrs": "flat"]
        PropertyDelta.apply([PropertyChange(path: ["attrs", "text", "text"], value: "L")], to: &target)
        #expect(target == ["attrs": ["text": ["text": "L"]]])
        PropertyDelta.apply([PropertyChange(path: ["missing", "deep"], value: nil)], to: &target)
        #expect(target == ["attrs": ["text": ["text": "L"]]])
    }

    @Test func stateKeepsInsertionOrderThroughRemovesAndCompaction() {
        var s = DiagramState(revision: 3, cells: (0..<100).map { Fixture.node("n\($0)") })
        for i in stride(from: 0, to: 100, by: 2) { s.remove(id: "n\(i)") }
        s.upsert(Fixture.node("n1", x: 5), id: "n1")
        s.upsert(Fixture.node("z"), id: "z")
        #expect(s.count == 51)
        #expect(s.cellIDs == (0..<50).map { "n\($0 * 2 + 1)" } + ["z"])
        #expect(s["n1"]?["x"] == 5 && s["n0"] == nil)
        #expect(s == DiagramState(revision: 3, cells: s.cells))
    }

    @Test func edgeIndexFollowsUpdates() {
        var s = DiagramState(cells: [
            Fixture.node("a"), Fixture.node("b"), Fixture.edge("e", from: "a", to: "b"),
        ])
        #expect(s.edges(attachedTo: "a") == ["e"])
        s.upsert(["id": "e", "shape": "edge", "source": "b", "target": ["x": 1, "y": 2]], id: "e")
        #expect(s.edges(attachedTo: "a").isEmpty && s.edges(attachedTo: "b") == ["e"])
        s.remove(id: "e")
        #expect(s.edges(attachedTo: "b").isEmpty)
    }

    @Test func logIsBoundedAndRebuildsTheClientsView() {
        var log = OperationLog(capacity: 3, startingAt: 0)
        let broadcast = DiagramOperationMessage(operationID: "", cells: [])
        for r in 1...5 {
            let change = CellChange(
                id: "c", before: .number(Double(r - 1)), after: .number(Double(r)),
                intended: .number(Double(r) + 0.5),
                bySender: true)
            log.append(
                LogEntry(
                    revision: Int64(r), operationID: "\(r)", userID: "u", origin: r == 4 ? "mine" : "other",
                    changes: [change], broadcast: broadcast))
        }
        #expect(log.count == 3 && log.floor == 2)
        #expect(log.entries(after: 3).map(\.revision) == [4, 5])
        #expect(log.covers(base: 2, current: 5) && !log.covers(base: 1, current: 5))
        #expect(log.entry(revision: 2) == nil && log.entry(revision: 5)?.operationID == "5")
        // Seen from "mine" at base 2: the cell at 2, then its own change at 4 (its intended view).
        #expect(log.cellAsSeen("c", base: 2, origin: "mine").cell == 4.5)
        #expect(log.cellAsSeen("c", base: 2, origin: "else").cell == 2)
        #expect(log.cellAsSeen("c", base: 5, origin: "mine").found == false)
    }
}

@Suite struct CollaborationStateDiffTests {
    @Test func operationsReachTheTargetCells() {
        let state = DiagramState(cells: [Fixture.node("a"), Fixture.node("b"), Fixture.node("c")])
        let target = [Fixture.node("c"), Fixture.node("a", x: 9), Fixture.node("d")]
        let ops = state.operations(toReach: target)
        #expect(ops == [.remove("b"), .update("a", Fixture.node("a", x: 9)), .add(Fixture.node("d"))])
        var engine = DiagramEngine(state: state, validator: .none)
        _ = engine.submit(
            DiagramOperationMessage(operationID: "put", cells: ops), user: Fixture.alice, origin: "rest")
        #expect(Set(engine.state.cellIDs) == ["a", "c", "d"])
        #expect(engine.state["a"] == Fixture.node("a", x: 9))
        #expect(state.operations(toReach: state.cells).isEmpty)
    }
}
