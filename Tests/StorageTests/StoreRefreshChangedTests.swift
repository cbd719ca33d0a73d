import CollabCore
import Foundation
import Storage
import StoragePostgres
import TestSupport
import Testing

/// Two nodes over one database, the list's read-back (`refreshChanged`, docs/cluster.md
/// "Lists"): one query of (id, revision) decides, only models whose revision moved are read
/// back, models deleted elsewhere are dropped, and reads racing writes end where the database is.
@Suite struct StoreRefreshChangedTests {
    static let m1 = "11111111-1111-4111-8111-000000000001"
    static let m2 = "11111111-1111-4111-8111-000000000002"
    static let dg = "33333333-3333-4333-8333-000000000001"

    static func model(_ id: String, name: String) -> StoreMutation {
        .putModel(id: id, fields: ["id": .string(id), "name": .string(name), "owner": "alice@test.tmi"])
    }

    /// The store's own change counter for `id` (what the JSON cache keys on): unchanged means
    /// memory's copy of the model was not replaced.
    static func revision(_ store: ThreatModelStore, _ id: String) -> UInt64 {
        store.read(model: id) { _, revision in revision }
    }

    static func open(_ url: String, _ schema: String) async throws -> ThreatModelStore {
        let (backend, state) = try await PostgresStore.open(url: url, schema: schema)
        return ThreatModelStore(state: state, backend: backend)
    }

    @Test(.enabled(if: TestDatabase.shouldRun))
    func aListRefreshReadsBackOnlyWhatChangedElsewhere() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        let a = try await Self.open(url, schema)
        let b = try await Self.open(url, schema)
        let write = { (batch: [StoreMutation]) async throws in
            if let e = await StoreFencingTests.attempt(a, batch) { throw e }
        }
        try await write([Self.model(Self.m1, name: "one"), Self.model(Self.m2, name: "two")])
        try await write([
            .putChild(.diagrams, model: Self.m2, id: Self.dg, fields: ["id": .string(Self.dg), "cells": []])
        ])
        #expect(b.state.models.isEmpty)
        try await b.refreshChanged()
        #expect(b.state.models == a.state.models)

        // Nothing moved: nothing is read back (memory's copies stay, their cache keys too).
        let (r1, r2) = (Self.revision(b, Self.m1), Self.revision(b, Self.m2))
        try await b.refreshChanged()
        #expect(Self.revision(b, Self.m1) == r1 && Self.revision(b, Self.m2) == r2)

        // A rename of one model reads back that model only.
        try await write([Self.model(Self.m1, name: "renamed")])
        try await b.refreshChanged()
        #expect(b.state.models[Self.m1]?.fields["name"] == "renamed")
        #expect(Self.revision(b, Self.m1) > r1)
        #expect(Self.revision(b, Self.m2) == r2)

        // A child (what the list counts) moves its model's revision; a live session's cells do
        // not (the list does not show them, and they are the hot path).
        try await write([.putChild(.threats, model: Self.m2, id: "t1", fields: ["id": "t1", "name": "T"])])
        let backend = try #require(a.backend)
        let before = try await backend.modelRevisions()
        try await write([
            .patchCells(
                model: Self.m2, diagram: Self.dg, upserts: [["id": "c1"]], removes: [], updateVector: 1)
        ])
        #expect(try await backend.modelRevisions() == before)
        try await b.refreshChanged()
        #expect(b.state.models[Self.m2]?.collection(.threats).count == 1)
        #expect(b.state.models == a.state.models)

        // A node started now reads nothing back: it knows the revisions it loaded.
        let c = try await Self.open(url, schema)
        try await c.refreshChanged()
        #expect(Self.revision(c, Self.m1) == 0 && Self.revision(c, Self.m2) == 0)

        // A deletion elsewhere drops the model and its diagrams' fencing marks.
        try await write([.fence(model: Self.m2, diagram: Self.dg, token: 7)])
        try await b.refresh(model: Self.m2)
        #expect(b.state.fences[DiagramKey(model: Self.m2, diagram: Self.dg)] == 7)
        try await write([.deleteModel(id: Self.m2)])
        try await b.refreshChanged()
        #expect(b.state.models[Self.m2] == nil)
        #expect(b.state.fences.isEmpty)
        #expect(b.state.models == a.state.models)
        for s in [a, b, c] { await s.close() }
    }

    /// Reads racing writes on both nodes: every model this node created stays in its memory
    /// while another node's changes are read back around it, and once the writes are over one
    /// more refresh leaves both nodes equal to the database.
    @Test(.enabled(if: TestDatabase.shouldRun))
    func refreshesRacingWritesOnBothNodesEndWhereTheDatabaseIs() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        defer { Task { await TestDatabase.dropSchema(schema) } }
        let a = try await Self.open(url, schema)
        let b = try await Self.open(url, schema)
        let aIDs = (0..<20).map { String(format: "aaaaaaaa-0000-4000-8000-%012d", $0) }
        let bIDs = (0..<20).map { String(format: "bbbbbbbb-0000-4000-8000-%012d", $0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for (i, id) in aIDs.enumerated() {
                    #expect(await StoreFencingTests.attempt(a, [Self.model(id, name: "a\(i)")]) == nil)
                    #expect(await StoreFencingTests.attempt(a, [Self.model(id, name: "a\(i)'")]) == nil)
                    if i % 3 == 0 {
                        #expect(await StoreFencingTests.attempt(a, [.deleteModel(id: id)]) == nil)
                    }
                }
            }
            group.addTask {
                for (i, id) in bIDs.enumerated() {
                    #expect(await StoreFencingTests.attempt(b, [Self.model(id, name: "b\(i)")]) == nil)
                    // What b acknowledged is in b's memory whatever the refreshes did.
                    #expect(b.state.models[id]?.fields["name"] == .string("b\(i)"))
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<15 {
                        try await b.refreshChanged()
                        try await a.refreshChanged()
                    }
                }
            }
            try await group.waitForAll()
        }
        try await a.refreshChanged()
        try await b.refreshChanged()
        let fresh = try await Self.open(url, schema)
        #expect(fresh.state.models.count == 20 + 20 - 7)
        #expect(a.state.models == fresh.state.models)
        #expect(b.state.models == fresh.state.models)
        for s in [a, b, fresh] { await s.close() }
    }

    @Test func theEmbeddedStoreIsNotSharedAndKeepsMemory() async throws {
        let store = ThreatModelStore()
        #expect(await StoreFencingTests.attempt(store, [Self.model(Self.m1, name: "one")]) == nil)
        let revision = Self.revision(store, Self.m1)
        try await store.refreshChanged()
        #expect(store.state.models[Self.m1] != nil)
        #expect(Self.revision(store, Self.m1) == revision)
    }
}
