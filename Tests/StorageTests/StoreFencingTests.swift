import CollabCore
import Storage
import StoragePostgres
import TestSupport
import Testing

/// Fencing tokens (DESIGN §11): a batch carrying a diagram's ownership token older than the
/// newest that diagram has seen is refused whole with `isFenced`, on every backend, across a
/// restart, and (PostgreSQL) across nodes whose memories never saw each other's tokens.
@Suite struct StoreFencingTests {
    static let tm = "11111111-1111-4111-8111-111111111111"
    static let dg = "33333333-3333-4333-8333-333333333333"
    static let dg2 = "33333333-3333-4333-8333-444444444444"

    static func setUp() -> [StoreMutation] {
        [
            .putModel(id: tm, fields: ["id": .string(tm), "name": "M", "owner": "alice@test.tmi"]),
            .putChild(.diagrams, model: tm, id: dg, fields: ["id": .string(dg), "name": "D", "cells": []]),
            .putChild(.diagrams, model: tm, id: dg2, fields: ["id": .string(dg2), "name": "E", "cells": []]),
        ]
    }

    static func op(_ diagram: String = dg, cell: String, vector: Int, token: UInt64?) -> [StoreMutation] {
        let patch = StoreMutation.patchCells(
            model: tm, diagram: diagram, upserts: [["id": .string(cell), "shape": "process"]], removes: [],
            updateVector: vector)
        guard let token else { return [patch] }
        return [.fence(model: tm, diagram: diagram, token: token), patch]
    }

    /// Commits `batch`; returns the refusal, or nil when it became durable.
    static func attempt(_ store: ThreatModelStore, _ batch: [StoreMutation]) async -> StoreUnavailable? {
        do {
            try await store.write({ _ throws(StoreUnavailable) in ((), batch) }, unavailable: { $0 })
            return nil
        } catch {
            return error
        }
    }

    static func cellIDs(_ state: StoreState, _ diagram: String = dg) -> [String] {
        (state.models[tm]?.children[.diagrams]?[diagram]?.fields["cells"]?.arrayValue ?? []).compactMap {
            $0["id"]?.stringValue
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func anOlderTokenIsRefusedAndNothingOfItsBatchIsKept(_ backend: BackendUnderTest) async throws {
        let key = BackendUnderTest.freshKey()
        defer { Task { await backend.destroy(key) } }
        let store = try await backend.open(key)
        #expect(await Self.attempt(store, Self.setUp()) == nil)
        #expect(await Self.attempt(store, Self.op(cell: "a", vector: 1, token: 2)) == nil)
        let stale = await Self.attempt(store, Self.op(cell: "b", vector: 2, token: 1))
        #expect(stale?.isFenced == true)
        // The same token again (the owner's next operation) and a newer one pass.
        #expect(await Self.attempt(store, Self.op(cell: "c", vector: 2, token: 2)) == nil)
        #expect(await Self.attempt(store, Self.op(cell: "d", vector: 3, token: 5)) == nil)
        #expect(await Self.attempt(store, Self.op(cell: "e", vector: 4, token: 4))?.isFenced == true)
        // Batches without a token (one node, REST writes) are never fenced.
        #expect(await Self.attempt(store, Self.op(cell: "f", vector: 4, token: nil)) == nil)
        // Another diagram's mark is its own.
        #expect(await Self.attempt(store, Self.op(Self.dg2, cell: "g", vector: 1, token: 1)) == nil)
        #expect(Self.cellIDs(store.state) == ["a", "c", "d", "f"])
        await store.close()

        // The marks survive a restart: the stale owner is still refused.
        let again = try await backend.open(key)
        #expect(Self.cellIDs(again.state) == ["a", "c", "d", "f"])
        #expect(again.state.fences[DiagramKey(model: Self.tm, diagram: Self.dg)] == 5)
        #expect(await Self.attempt(again, Self.op(cell: "h", vector: 5, token: 3))?.isFenced == true)
        #expect(await Self.attempt(again, Self.op(cell: "i", vector: 5, token: 5)) == nil)
        await again.close()
    }

    @Test(arguments: BackendUnderTest.all)
    func deletingADiagramForgetsItsMark(_ backend: BackendUnderTest) async throws {
        let key = BackendUnderTest.freshKey()
        defer { Task { await backend.destroy(key) } }
        let store = try await backend.open(key)
        #expect(await Self.attempt(store, Self.setUp()) == nil)
        #expect(await Self.attempt(store, Self.op(cell: "a", vector: 1, token: 9)) == nil)
        #expect(await Self.attempt(store, [.deleteChild(.diagrams, model: Self.tm, id: Self.dg)]) == nil)
        #expect(store.state.fences.isEmpty)
        await store.close()
        let again = try await backend.open(key)
        #expect(again.state.fences.isEmpty)
        await again.close()
    }

    /// Two nodes share one database; neither's memory knows the other's token. The new owner's
    /// claim makes the database refuse every later batch of the old owner, even one the old
    /// owner's memory happily accepts; the refused cells never reach the rows.
    @Test(.enabled(if: TestDatabase.shouldRun))
    func theDatabaseFencesAnOwnerWhoseMemoryNeverSawTheNewToken() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        func open() async throws -> ThreatModelStore {
            let (backend, state) = try await PostgresStore.open(url: url, schema: schema)
            return ThreatModelStore(state: state, backend: backend)
        }
        let oldOwner = try await open()
        #expect(await Self.attempt(oldOwner, Self.setUp()) == nil)
        #expect(await Self.attempt(oldOwner, Self.op(cell: "a", vector: 1, token: 1)) == nil)
        let newOwner = try await open()
        #expect(Self.cellIDs(newOwner.state) == ["a"])
        // The takeover: the claim alone, made durable before the new owner reads the diagram.
        #expect(await Self.attempt(newOwner, [.fence(model: Self.tm, diagram: Self.dg, token: 2)]) == nil)
        let late = await Self.attempt(oldOwner, Self.op(cell: "late", vector: 2, token: 1))
        #expect(late?.isFenced == true)
        // Several stale batches in one group: each is refused, none is half-written.
        async let l1 = Self.attempt(oldOwner, Self.op(cell: "late1", vector: 3, token: 1))
        async let l2 = Self.attempt(oldOwner, Self.op(cell: "late2", vector: 4, token: 1))
        async let ok = Self.attempt(oldOwner, Self.op(Self.dg2, cell: "other", vector: 1, token: nil))
        let (r1, r2, r3) = await (l1, l2, ok)
        #expect(r1?.isFenced == true && r2?.isFenced == true)
        #expect(r3 == nil)
        #expect(await Self.attempt(newOwner, Self.op(cell: "b", vector: 2, token: 2)) == nil)
        await oldOwner.close()
        await newOwner.close()
        let reader = try await open()
        #expect(Self.cellIDs(reader.state) == ["a", "b"])
        #expect(Self.cellIDs(reader.state, Self.dg2) == ["other"])
        #expect(reader.state.fences[DiagramKey(model: Self.tm, diagram: Self.dg)] == 2)
        await reader.close()
    }

    @Test func fenceMutationsRoundTripThroughTheJournalCodecAndSnapshots() throws {
        let m = StoreMutation.fence(model: Self.tm, diagram: Self.dg, token: UInt64.max - 1)
        #expect(try StoreCodec.decode(batch: StoreCodec.encode(batch: [m])) == [m])
        var state = StoreState()
        for s in Self.setUp() { state.apply(s) }
        state.apply(m)
        state.apply(.fence(model: Self.tm, diagram: Self.dg, token: 3))  // never lowers
        #expect(state.fences[DiagramKey(model: Self.tm, diagram: Self.dg)] == UInt64.max - 1)
        #expect(try StoreCodec.decode(snapshot: StoreCodec.encode(snapshot: state)) == state)
    }
}
