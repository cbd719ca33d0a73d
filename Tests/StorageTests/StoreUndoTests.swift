import CollabCore
import Testing

@testable import Storage

/// The undo log that replaces a durable copy of the state: every kind of mutation, applied with
/// `apply(_:undo:)` and taken back with `undo(_:)`, leaves the state exactly as it was (ids and
/// metadata keys in their old order included), whatever ran before it.
@Suite struct StoreUndoTests {
    static let m = "00000000-0000-4000-8000-000000000001"
    static let d = "00000000-0000-4000-8000-0000000000d1"

    /// A model with two threats, a diagram with cells, metadata on the model and on a threat.
    static func seeded() -> StoreState {
        var s = StoreState()
        s.apply(
            .putModel(id: m, fields: ["id": .string(m), "name": .string("m"), "owner": .string("alice")]))
        for t in ["t1", "t2", "t3"] {
            s.apply(.putChild(.threats, model: m, id: t, fields: ["id": .string(t), "name": .string(t)]))
        }
        s.apply(.putChild(.diagrams, model: m, id: d, fields: ["id": .string(d), "cells": .array([])]))
        s.apply(
            .patchCells(
                model: m, diagram: d, upserts: [["id": "c1"], ["id": "c2"]], removes: [], updateVector: 1))
        for k in ["a", "b", "c"] {
            s.apply(.putMetadata(.model(m), key: k, value: k))
            s.apply(.putMetadata(.child(.threats, model: m, id: "t2"), key: k, value: k))
        }
        return s
    }

    static let batches: [[StoreMutation]] = [
        [.putModel(id: m, fields: ["id": .string(m), "name": .string("renamed"), "owner": .string("bob")])],
        [.putModel(id: "new", fields: ["id": "new"]), .putMetadata(.model("new"), key: "k", value: "v")],
        [.deleteModel(id: m)],
        [.deleteModel(id: "absent")],
        [.putChild(.threats, model: m, id: "t2", fields: ["id": "t2", "name": "changed"])],
        [.putChild(.documents, model: m, id: "doc", fields: ["id": "doc"])],
        [.deleteChild(.threats, model: m, id: "t2")],
        [
            .deleteChild(.threats, model: m, id: "t1"), .deleteChild(.threats, model: m, id: "t2"),
            .deleteChild(.threats, model: m, id: "t3"),
        ],
        [.putMetadata(.model(m), key: "b", value: "changed"), .putMetadata(.model(m), key: "z", value: "z")],
        [
            .deleteMetadata(.model(m), key: "a"),
            .deleteMetadata(.child(.threats, model: m, id: "t2"), key: "b"),
        ],
        [.patchCells(model: m, diagram: d, upserts: [["id": "c3"]], removes: ["c1"], updateVector: 2)],
        [
            .putChild(.threats, model: "absent", id: "x", fields: [:]),
            .putMetadata(.model("absent"), key: "k", value: "v"),
        ],
        // Several changes to one thing in one batch: undone newest first.
        [
            .deleteChild(.threats, model: m, id: "t1"),
            .putChild(.threats, model: m, id: "t1", fields: ["id": "t1"]),
            .deleteMetadata(.model(m), key: "b"), .putMetadata(.model(m), key: "b", value: "again"),
        ],
    ]

    @Test(arguments: batches.indices)
    func undoRestoresTheStateExactly(index: Int) {
        let before = Self.seeded()
        var state = before
        var undo: [StoreUndo] = []
        for mutation in Self.batches[index] { state.apply(mutation, undo: &undo) }
        #expect(state != before || index == 3 || index == 11, "the batch should change something")
        state.undo(undo)
        #expect(state == before)
        #expect(
            state.models[Self.m]?.collection(.threats).ids == before.models[Self.m]?.collection(.threats).ids)
        #expect(state.models[Self.m]?.metadata.keys == before.models[Self.m]?.metadata.keys)
        #expect(state.models[Self.m]?.access.owner == "alice")
    }

    /// Batches taken back newest first restore the state before the oldest.
    @Test func severalBatchesUndoneInReverse() {
        let before = Self.seeded()
        var state = before
        var undos: [[StoreUndo]] = []
        for batch in Self.batches {
            var undo: [StoreUndo] = []
            for mutation in batch { state.apply(mutation, undo: &undo) }
            undos.append(undo)
        }
        for undo in undos.reversed() { state.undo(undo) }
        #expect(state == before)
    }
}
