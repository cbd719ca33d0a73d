import Testing

@testable import CollabCore

/// Invariants of RFC 6902 checked on random documents: an add undone by a remove, a move undone
/// by the reverse move, a copy that a test then confirms.
@Suite struct JSONPatchPropertyTests {
    /// Every pointer to an existing value in `doc` (except the root).
    static func pointers(in doc: JSONValue, prefix: [String] = []) -> [JSONPointer] {
        var out: [JSONPointer] = []
        switch doc {
        case .object(let o):
            for (k, v) in o {
                out.append(JSONPointer(tokens: prefix + [k]))
                out += pointers(in: v, prefix: prefix + [k])
            }
        case .array(let a):
            for (i, v) in a.enumerated() {
                out.append(JSONPointer(tokens: prefix + [String(i)]))
                out += pointers(in: v, prefix: prefix + [String(i)])
            }
        default: break
        }
        return out
    }

    static func randomContainerDoc(_ rng: inout SeededRandom) -> JSONValue {
        while true {
            let v = RandomJSON.value(depth: 0, using: &rng)
            if !pointers(in: v).isEmpty { return v }
        }
    }

    @Test func removeThenAddRestores() throws {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<200 {
            let doc = Self.randomContainerDoc(&rng)
            let path = Self.pointers(in: doc).randomElement(using: &rng)!
            let value = doc.value(at: path)!
            let removed = try JSONPatch([.remove(path: path)]).apply(to: doc)
            let restored = try JSONPatch([.add(path: path, value: value)]).apply(to: removed)
            #expect(restored == doc, "\(path)")
        }
    }

    @Test func moveAndMoveBackRestoresAndCopyIsTestable() throws {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<200 {
            let doc = Self.randomContainerDoc(&rng)
            guard case .object(let o) = doc else { continue }
            let from = Self.pointers(in: doc).randomElement(using: &rng)!
            var target = "fresh"
            while o[target] != nil { target += "_" }
            let to = JSONPointer(tokens: [target])
            let moved = try JSONPatch([.move(from: from, path: to)]).apply(to: doc)
            #expect(moved.value(at: to) == doc.value(at: from))
            #expect(try JSONPatch([.move(from: to, path: from)]).apply(to: moved) == doc, "\(from)")
            let copied = try JSONPatch([
                .copy(from: from, path: to), .test(path: to, value: doc.value(at: from)!),
            ])
            .apply(to: doc)
            #expect(copied.value(at: from) == doc.value(at: from))
        }
    }

    @Test func errorsCarryDetails() throws {
        let patch = try JSONPatch.parse([
            ["op": "test", "path": "/a", "value": 1], ["op": "test", "path": "/a", "value": 2],
        ])
        do throws(JSONPatchError) {
            _ = try patch.apply(to: ["a": 1])
            Issue.record("applied")
        } catch {
            #expect(error.details == ["code": "patch_test_failed", "context": ["operation": "/1"]])
            #expect(error.description == "patch operation 1: test failed: the value at '/a' differs")
        }
    }
}
