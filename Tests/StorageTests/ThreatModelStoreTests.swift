import CollabCore
import Synchronization
import Testing

@testable import Storage

/// An in-memory `Store` that records what reached it, in order, in the journal's encoding.
final class RecordingLog: Store {
    let records = Mutex<[[UInt8]]>([])
    let snapshots = Mutex<[(bytes: [UInt8], through: UInt64)]>([])
    let snapshotEvery: Int? = nil

    func enqueue(_ batch: [StoreMutation]) throws(StoreUnavailable) -> UInt64 {
        records.withLock {
            $0.append(StoreCodec.encode(batch: batch))
            return UInt64($0.count)
        }
    }
    func waitDurable(_ ticket: UInt64) async throws(StoreUnavailable) {}
    func snapshot(_ state: StoreState, through ticket: UInt64) async {
        snapshots.withLock { $0.append((StoreCodec.encode(snapshot: state), ticket)) }
    }
    func close() async {}
}

/// The test's refusal, standing in for the gateway's `APIError`.
struct Refused: Error, Equatable {
    var reason: String
    static func unavailable(_ failure: StoreUnavailable) -> Refused { Refused(reason: failure.reason) }
}

extension ThreatModelStore {
    /// `write` with the test's error type.
    @discardableResult
    func write<T>(_ body: (StoreState) throws(Refused) -> (T, [StoreMutation])) async throws(Refused) -> T {
        try await write(body, unavailable: Refused.unavailable)
    }
}

@Suite struct ThreatModelStoreTests {
    static let tm = "11111111-1111-4111-8111-111111111111"
    static let th = "22222222-2222-4222-8222-222222222222"

    static func sampleBatch() -> [StoreMutation] {
        [
            .putModel(id: tm, fields: ["id": .string(tm), "name": "Payments", "owner": "alice@test.tmi"]),
            .putChild(
                .threats, model: tm, id: th, fields: ["id": .string(th), "name": "SQLi", "score": 7.5]),
            .putMetadata(.model(tm), key: "team", value: "blue"),
            .putMetadata(.child(.threats, model: tm, id: th), key: "cwe", value: "89"),
        ]
    }

    /// `putChild` of an existing item replaces its fields in place: metadata and creation order
    /// stay, and a snapshot copy taken before the write does not see it.
    @Test func puttingAnExistingChildKeepsItsMetadataAndPlace() {
        var state = StoreState()
        for m in Self.sampleBatch() { state.apply(m) }
        let other = "33333333-3333-4333-8333-333333333333"
        state.apply(
            .putChild(.threats, model: Self.tm, id: other, fields: ["id": .string(other), "name": "XSS"]))
        let before = state
        state.apply(
            .putChild(.threats, model: Self.tm, id: Self.th, fields: ["id": .string(Self.th), "name": "SQL"]))
        let threats = state.models[Self.tm]!.collection(.threats)
        #expect(threats.ids == [Self.th, other])
        #expect(threats[Self.th]?.fields["name"] == "SQL")
        #expect(threats[Self.th]?.metadata["cwe"] == "89")
        #expect(before.models[Self.tm]!.collection(.threats)[Self.th]?.fields["name"] == "SQLi")
    }

    @Test func writesAreAppliedAndJournaledInOrder() async throws {
        let log = RecordingLog()
        let store = ThreatModelStore(backend: log)
        let n = try await store.write { _ throws(Refused) in (1, Self.sampleBatch()) }
        #expect(n == 1)
        try await store.write { _ throws(Refused) in ((), [.deleteMetadata(.model(Self.tm), key: "team")]) }
        let state = store.state
        #expect(state.models[Self.tm]?.metadata.count == 0)
        #expect(state.models[Self.tm]?.collection(.threats)[Self.th]?.metadata["cwe"] == "89")
        let recovered = try ThreatModelStore.recover(snapshot: nil, records: log.records.withLock { $0 })
        #expect(recovered == state)
    }

    @Test func refusedWriteChangesNothing() async {
        let log = RecordingLog()
        let store = ThreatModelStore(backend: log)
        await #expect(throws: Refused.self) {
            try await store.write { _ throws(Refused) -> ((), [StoreMutation]) in
                throw Refused(reason: "no")
            }
        }
        #expect(store.state == StoreState())
        #expect(log.records.withLock { $0.isEmpty })
    }

    @Test func snapshotRoundTripsEveryField() throws {
        var state = StoreState()
        for m in Self.sampleBatch() { state.apply(m) }
        let bytes = StoreCodec.encode(snapshot: state)
        #expect(try StoreCodec.decode(snapshot: bytes) == state)
        // A snapshot plus later records recovers both.
        let later = StoreCodec.encode(batch: [.deleteChild(.threats, model: Self.tm, id: Self.th)])
        let recovered = try ThreatModelStore.recover(snapshot: bytes, records: [later])
        #expect(recovered.models[Self.tm]?.collection(.threats).count == 0)
        #expect(recovered.models[Self.tm]?.metadata["team"] == "blue")
    }

    @Test func compactionIsTriggeredFromACopy() async throws {
        let log = RecordingLog()
        let store = ThreatModelStore(backend: log, compactEvery: 2)
        try await store.write { _ throws(Refused) in ((), Self.sampleBatch()) }
        try await store.write { _ throws(Refused) in
            ((), [.putMetadata(.model(Self.tm), key: "k", value: "v")])
        }
        // Compaction runs detached; close waits for it.
        await store.close()
        let snap = try #require(log.snapshots.withLock { $0.first })
        #expect(snap.through == 2)
        #expect(try StoreCodec.decode(snapshot: snap.bytes) == (store.state))
    }

    @Test func patchCellsUpsertsAndRemovesInPlace() throws {
        let d = "33333333-3333-4333-8333-333333333333"
        var state = StoreState()
        state.apply(.putModel(id: Self.tm, fields: ["id": .string(Self.tm)]))
        state.apply(
            .putChild(
                .diagrams, model: Self.tm, id: d,
                fields: ["id": .string(d), "cells": [["id": "a", "x": 1], ["id": "b"]]]))
        let m = StoreMutation.patchCells(
            model: Self.tm, diagram: d, upserts: [["id": "a", "x": 2], ["id": "c"]], removes: ["b"],
            updateVector: 7)
        state.apply(m)
        let fields = try #require(state.models[Self.tm]?.collection(.diagrams)[d]?.fields)
        #expect(fields["cells"] == [["id": "a", "x": 2], ["id": "c"]])
        #expect(fields["update_vector"] == 7)
        #expect(try StoreCodec.decode(batch: StoreCodec.encode(batch: [m])) == [m])
    }

    @Test func mutationsOfMissingParentsAreIgnored() {
        var state = StoreState()
        state.apply(.putChild(.documents, model: Self.tm, id: Self.th, fields: [:]))
        state.apply(.putMetadata(.child(.documents, model: Self.tm, id: Self.th), key: "a", value: "b"))
        #expect(state == StoreState())
    }
}
