import CollabCore
import Storage
import StoragePostgres
import TestSupport
import Testing

/// Two nodes over one database: `refresh(model:)` makes what one wrote visible to the other
/// (creation, live cells, fencing marks, deletion), and the embedded store never reloads.
@Suite struct StoreRefreshTests {
    static let tm = StoreFencingTests.tm
    static let dg = StoreFencingTests.dg

    @Test(.enabled(if: TestDatabase.shouldRun))
    func aNodeSeesWhatAnotherNodeWroteAfterARefresh() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        func open() async throws -> ThreatModelStore {
            let (backend, state) = try await PostgresStore.open(url: url, schema: schema)
            return ThreatModelStore(state: state, backend: backend)
        }
        let a = try await open()
        let b = try await open()
        #expect(a.isShared && b.isShared)
        #expect(await StoreFencingTests.attempt(a, StoreFencingTests.setUp()) == nil)
        #expect(
            await StoreFencingTests.attempt(a, StoreFencingTests.op(cell: "x", vector: 1, token: 3)) == nil)
        #expect(b.state.models[Self.tm] == nil)
        try await b.refresh(model: Self.tm)
        #expect(b.state.models[Self.tm] == a.state.models[Self.tm])
        #expect(StoreFencingTests.cellIDs(b.state) == ["x"])
        #expect(b.state.fences[DiagramKey(model: Self.tm, diagram: Self.dg)] == 3)
        // B's memory now fences A's token as well.
        #expect(
            await StoreFencingTests.attempt(b, StoreFencingTests.op(cell: "y", vector: 2, token: 2))?.isFenced
                == true)
        #expect(await StoreFencingTests.attempt(a, [.deleteModel(id: Self.tm)]) == nil)
        try await b.refresh(model: Self.tm)
        #expect(b.state.models[Self.tm] == nil)
        #expect(b.state.fences.isEmpty)
        await a.close()
        await b.close()
    }

    @Test func theEmbeddedStoreIsNotSharedAndRefreshKeepsMemory() async throws {
        let store = ThreatModelStore()
        #expect(await StoreFencingTests.attempt(store, StoreFencingTests.setUp()) == nil)
        #expect(!store.isShared)
        try await store.refresh(model: Self.tm)
        #expect(store.state.models[Self.tm] != nil)
    }
}
