import CollabCore
import Storage
import TestSupport
import Testing

/// Seeded random mixes of every mutation kind, through each backend, reopened at random points:
/// what comes back is always exactly what memory held.
@Suite struct StoreConformanceRandomTests {
    static let models = (0..<3).map { "77777777-7777-4777-8777-00000000000\($0)" }
    static let children = (0..<6).map { "88888888-8888-4888-8888-00000000000\($0)" }

    static func randomMutation(_ rng: inout SeededRandom, vector: inout Int) -> StoreMutation {
        let m = models.randomElement(using: &rng)!
        let c = children.randomElement(using: &rng)!
        let kind = ChildKind.allCases.randomElement(using: &rng)!
        let n = JSONValue.number(Double(Int.random(in: 0..<1000, using: &rng)))
        let target: MetadataTarget = Bool.random(using: &rng) ? .model(m) : .child(kind, model: m, id: c)
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<10: return .putModel(id: m, fields: ["id": .string(m), "n": n])
        case 10..<13: return .deleteModel(id: m)
        case 13..<35:
            var fields: [String: JSONValue] = ["id": .string(c), "n": n]
            if kind == .diagrams && Bool.random(using: &rng) {
                fields["cells"] = .array(
                    (0..<Int.random(in: 0..<4, using: &rng)).map { ["id": .string("k\($0)"), "n": n] })
            }
            return .putChild(kind, model: m, id: c, fields: fields)
        case 35..<42: return .deleteChild(kind, model: m, id: c)
        case 42..<60:
            return .putMetadata(target, key: "k\(Int.random(in: 0..<4, using: &rng))", value: "\(n)")
        case 60..<68: return .deleteMetadata(target, key: "k\(Int.random(in: 0..<4, using: &rng))")
        default:
            vector += 1
            let upserts: [JSONValue] = (0..<Int.random(in: 0..<3, using: &rng)).map { _ in
                ["id": .string("k\(Int.random(in: 0..<6, using: &rng))"), "n": n]
            }
            let removes = Bool.random(using: &rng) ? ["k\(Int.random(in: 0..<6, using: &rng))"] : []
            return .patchCells(model: m, diagram: c, upserts: upserts, removes: removes, updateVector: vector)
        }
    }

    @Test(arguments: BackendUnderTest.all, [1, 2, 3])
    func randomHistoriesComeBackExactly(_ backend: BackendUnderTest, seed: UInt64) async throws {
        var rng = SeededRandom(seed: seed)
        let key = BackendUnderTest.freshKey()
        defer { Task { await backend.destroy(key) } }
        var store = try await backend.open(key)
        var vector = 0
        for round in 0..<4 {
            for _ in 0..<60 {
                let batch = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                    Self.randomMutation(&rng, vector: &vector)
                }
                try await store.put(batch)
            }
            let before = store.state
            await store.close()
            store = try await backend.open(key)
            #expect(
                store.state == before,
                "round \(round) of seed \(seed) on \(backend): \(Self.firstDifference(store.state, before))")
        }
        await store.close()
    }

    /// Where two states first differ, in words (a full dump of both is unreadable).
    static func firstDifference(_ a: StoreState, _ b: StoreState) -> String {
        for id in Set(a.models.keys).union(b.models.keys).sorted() {
            guard let x = a.models[id], let y = b.models[id] else { return "model \(id) only on one side" }
            if x.fields != y.fields { return "model \(id) fields: \(x.fields) vs \(y.fields)" }
            if x.metadata != y.metadata {
                return "model \(id) metadata: \(x.metadata.json) vs \(y.metadata.json)"
            }
            for kind in ChildKind.allCases where x.collection(kind) != y.collection(kind) {
                let (cx, cy) = (x.collection(kind), y.collection(kind))
                if cx.ids != cy.ids { return "model \(id) \(kind) ids: \(cx.ids) vs \(cy.ids)" }
                for c in cx.ids where cx[c] != cy[c] {
                    return
                        "model \(id) \(kind) \(c): \(String(describing: cx[c])) vs \(String(describing: cy[c]))"
                }
            }
        }
        return "none"
    }
}
