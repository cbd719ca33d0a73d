import CollabCore
import Storage
import Testing

/// What every `Store` backend must do (DESIGN §7, §11), run against each of them: every
/// acknowledged change survives a restart exactly, in creation order, and a refused change
/// leaves nothing behind.
@Suite struct StoreConformanceTests {
    static let tm = "11111111-1111-4111-8111-111111111111"
    static let tm2 = "11111111-1111-4111-8111-222222222222"
    static let th = "22222222-2222-4222-8222-222222222222"
    static let th2 = "22222222-2222-4222-8222-333333333333"
    static let dg = "33333333-3333-4333-8333-333333333333"
    static let doc = "44444444-4444-4444-8444-444444444444"

    /// Opens a fresh store, runs `body` with a reopen function, and cleans up.
    func withFreshStore(
        _ backend: BackendUnderTest,
        _ body: (ThreatModelStore, () async throws -> ThreatModelStore) async throws -> Void
    ) async throws {
        let key = BackendUnderTest.freshKey()
        defer { Task { await backend.destroy(key) } }
        let store = try await backend.open(key)
        var opened = [store]
        do {
            try await body(store) {
                for s in opened { await s.close() }
                let again = try await backend.open(key)
                opened = [again]
                return again
            }
        } catch {
            for s in opened { await s.close() }
            throw error
        }
        for s in opened { await s.close() }
    }

    static func model(_ id: String, name: String) -> StoreMutation {
        .putModel(id: id, fields: ["id": .string(id), "name": .string(name), "owner": "alice@test.tmi"])
    }

    @Test(arguments: BackendUnderTest.all)
    func everyKindOfChangeSurvivesARestart(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([
                Self.model(Self.tm, name: "Payments"),
                .putChild(
                    .threats, model: Self.tm, id: Self.th, fields: ["id": .string(Self.th), "score": 7.5]),
                .putChild(
                    .documents, model: Self.tm, id: Self.doc,
                    fields: ["id": .string(Self.doc), "name": "Spec", "url": "https://example.test/a"]),
                .putChild(
                    .diagrams, model: Self.tm, id: Self.dg,
                    fields: [
                        "id": .string(Self.dg), "name": "DFD", "update_vector": 0,
                        "cells": [["id": "a", "shape": "process", "x": 1], ["id": "b", "shape": "store"]],
                    ]),
                .putMetadata(.model(Self.tm), key: "team", value: "blue"),
                .putMetadata(.child(.threats, model: Self.tm, id: Self.th), key: "cwe", value: "89"),
            ])
            try await store.put([
                .patchCells(
                    model: Self.tm, diagram: Self.dg,
                    upserts: [["id": "a", "shape": "process", "x": 2], ["id": "c"]],
                    removes: ["b"], updateVector: 1)
            ])
            try await store.put([
                Self.model(Self.tm2, name: "Other"), .deleteMetadata(.model(Self.tm), key: "team"),
            ])
            let before = store.state
            let after = try await reopen().state
            #expect(after == before)
            let cells = after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.fields["cells"]
            #expect(cells == [["id": "a", "shape": "process", "x": 2], ["id": "c"]])
            #expect(after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.fields["update_vector"] == 1)
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func creationOrderIsKeptAndReplacingKeepsAPlace(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([Self.model(Self.tm, name: "M")])
            let ids = (0..<12).map { String(format: "55555555-5555-4555-8555-%012d", 11 - $0) }
            for id in ids {
                try await store.put([.putChild(.threats, model: Self.tm, id: id, fields: ["id": .string(id)])]
                )
            }
            // Replacing an existing threat and an existing metadata key keeps their places;
            // deleting and adding again goes last.
            try await store.put([
                .putChild(
                    .threats, model: Self.tm, id: ids[3], fields: ["id": .string(ids[3]), "name": "x"]),
                .putMetadata(.model(Self.tm), key: "z", value: "1"),
                .putMetadata(.model(Self.tm), key: "a", value: "2"),
                .putMetadata(.model(Self.tm), key: "z", value: "3"),
                .deleteChild(.threats, model: Self.tm, id: ids[0]),
                .putChild(.threats, model: Self.tm, id: ids[0], fields: ["id": .string(ids[0])]),
            ])
            let after = try await reopen().state
            #expect(after.models[Self.tm]?.collection(.threats).ids == Array(ids.dropFirst()) + [ids[0]])
            #expect(after.models[Self.tm]?.metadata.keys == ["z", "a"])
            #expect(after.models[Self.tm]?.metadata["z"] == "3")
            #expect(after == store.state)
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func deletionsTakeEverythingUnderThem(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([
                Self.model(Self.tm, name: "M"),
                .putChild(
                    .diagrams, model: Self.tm, id: Self.dg,
                    fields: ["id": .string(Self.dg), "cells": [["id": "a"]]]),
                .putMetadata(.child(.diagrams, model: Self.tm, id: Self.dg), key: "k", value: "v"),
                .putChild(.threats, model: Self.tm, id: Self.th, fields: ["id": .string(Self.th)]),
                .putMetadata(.child(.threats, model: Self.tm, id: Self.th), key: "k", value: "v"),
                Self.model(Self.tm2, name: "N"),
                .putChild(.threats, model: Self.tm2, id: Self.th2, fields: ["id": .string(Self.th2)]),
            ])
            try await store.put([
                .deleteChild(.diagrams, model: Self.tm, id: Self.dg), .deleteModel(id: Self.tm2),
            ])
            // The same diagram id again starts empty: no cells or metadata come back from before.
            try await store.put([
                .putChild(.diagrams, model: Self.tm, id: Self.dg, fields: ["id": .string(Self.dg)])
            ])
            let after = try await reopen().state
            #expect(after == store.state)
            #expect(after.models[Self.tm2] == nil)
            #expect(after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.metadata.count == 0)
            #expect(after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.fields["cells"] == nil)
            #expect(after.models[Self.tm]?.collection(.threats)[Self.th]?.metadata["k"] == "v")
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func awkwardValuesRoundTripExactly(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            let fields: [String: JSONValue] = [
                "id": .string(Self.tm), "name": "nul \u{0} tab \t quote \" backslash \\ emoji 🧪 é",
                "numbers": [0, -0.5, 7.25, 1e300, -1e-300, 9_007_199_254_740_991], "nothing": .null,
                "flags": [true, false], "nested": ["a": ["b": ["c": []]]], "empty": [:],
            ]
            try await store.put([
                .putModel(id: Self.tm, fields: fields),
                .putMetadata(.model(Self.tm), key: "note", value: "a \u{0} b ' ; DROP TABLE x; --"),
                .putChild(
                    .diagrams, model: Self.tm, id: Self.dg, fields: ["id": .string(Self.dg), "cells": []]),
            ])
            let after = try await reopen().state
            #expect(after == store.state)
            #expect(after.models[Self.tm]?.fields == fields)
            #expect(after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.fields["cells"] == [])
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func concurrentWritesAreAllDurableInMemoryOrder(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([Self.model(Self.tm, name: "M")])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let id = String(format: "66666666-6666-4666-8666-%012d", i)
                        try await store.put([
                            .putChild(
                                .threats, model: Self.tm, id: id,
                                fields: ["id": .string(id), "n": .number(Double(i))])
                        ])
                    }
                }
                try await group.waitForAll()
            }
            let before = store.state
            #expect(before.models[Self.tm]?.collection(.threats).count == 200)
            let after = try await reopen().state
            #expect(after == before)
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func aRefusedChangeLeavesNothing(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([Self.model(Self.tm, name: "M")])
            await #expect(throws: ConformanceRefusal.self) {
                try await store.conformanceWrite { _ throws(ConformanceRefusal) -> ((), [StoreMutation]) in
                    throw ConformanceRefusal(reason: "409")
                }
            }
            let after = try await reopen().state
            #expect(after.models.count == 1)
            #expect(after == store.state)
        }
    }

    @Test(arguments: BackendUnderTest.all)
    func liveOperationsReplayAfterARestart(_ backend: BackendUnderTest) async throws {
        try await withFreshStore(backend) { store, reopen in
            try await store.put([
                Self.model(Self.tm, name: "M"),
                .putChild(
                    .diagrams, model: Self.tm, id: Self.dg, fields: ["id": .string(Self.dg), "name": "D"]),
            ])
            // A live session: one small patch per accepted operation, concurrently enqueued in
            // revision order (as `StoreSessionPersistence` does from the session actor).
            var tickets: [UInt64?] = []
            for v in 1...300 {
                let (_, ticket) = try store.commit(
                    { _ throws(ConformanceRefusal) in
                        (
                            (),
                            [
                                .patchCells(
                                    model: Self.tm, diagram: Self.dg,
                                    upserts: [["id": .string("c\(v % 7)"), "v": .number(Double(v))]],
                                    removes: v % 5 == 0 ? ["c\((v + 3) % 7)"] : [], updateVector: v)
                            ]
                        )
                    }, unavailable: { ConformanceRefusal(reason: $0.reason) })
                tickets.append(ticket)
            }
            for t in tickets {
                try await store.waitDurable(t, unavailable: { ConformanceRefusal(reason: $0.reason) })
            }
            let after = try await reopen().state
            #expect(after == store.state)
            #expect(after.models[Self.tm]?.collection(.diagrams)[Self.dg]?.fields["update_vector"] == 300)
        }
    }
}
