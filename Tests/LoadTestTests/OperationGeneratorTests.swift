import CollabCore
import Testing

@testable import LoadTestKit

@Suite struct OperationGeneratorTests {
    /// Runs one editor alone against its own view for `steps` actions and counts the kinds.
    static func run(seed: UInt64, presenter: Bool, steps: Int) -> (
        counts: [String: Int], actions: [OperationGenerator.Action]
    ) {
        var generator = OperationGenerator(seed: seed, editorIndex: 0, isPresenter: presenter)
        var view: [String: JSONValue] = [:]
        var counts: [String: Int] = [:]
        var actions: [OperationGenerator.Action] = []
        for _ in 0..<steps {
            let action = generator.next(view: view)
            actions.append(action)
            switch action {
            case .operation(let kind, let cells):
                counts[kind.rawValue, default: 0] += 1
                for cell in cells {
                    // Every operation names cells the editor can see (adds name new ones).
                    if cell.kind == .add {
                        #expect(view[cell.id] == nil)
                    } else {
                        #expect(view[cell.id] != nil)
                    }
                    if cell.data?["shape"] == "edge" {
                        #expect(view[cell.data?["source"]?["cell"]?.stringValue ?? ""] != nil)
                        #expect(view[cell.data?["target"]?["cell"]?.stringValue ?? ""] != nil)
                    }
                    cell.apply(to: &view)
                }
                // No edge is ever left pointing at a removed node.
                for (_, cell) in view where cell["shape"] == "edge" {
                    #expect(view[cell["source"]?["cell"]?.stringValue ?? ""] != nil)
                }
            case .undo: counts["undo", default: 0] += 1
            case .cursor: counts["cursor", default: 0] += 1
            }
        }
        return (counts, actions)
    }

    @Test func presenterMixFollowsTheWeights() {
        let steps = 20_000
        let (counts, _) = Self.run(seed: 5, presenter: true, steps: steps)
        let total = Double(OperationGenerator.weights.reduce(0) { $0 + $1.1 })
        for (kind, weight) in OperationGenerator.weights where kind != .addNode && kind != .remove {
            let share = Double(counts[kind.rawValue, default: 0]) / Double(steps)
            #expect(abs(share - Double(weight) / total) < 0.02, "\(kind): \(share)")
        }
        // Node count is bounded: adds and removes balance around the cap.
        #expect(counts["addNode", default: 0] > 0 && counts["remove", default: 0] > 0)
    }

    @Test func onlyThePresenterMovesTheCursor() {
        let (counts, _) = Self.run(seed: 5, presenter: false, steps: 5_000)
        #expect(counts["cursor"] == nil)
        #expect(counts["move", default: 0] > counts["relabel", default: 0])
    }

    @Test func sameSeedSameActionsOtherSeedOther() {
        let a = Self.run(seed: 11, presenter: true, steps: 300).actions
        let b = Self.run(seed: 11, presenter: true, steps: 300).actions
        let c = Self.run(seed: 12, presenter: true, steps: 300).actions
        #expect(a == b)
        #expect(a != c)
    }

    @Test func editorsGetIndependentStreams() {
        var first = OperationGenerator(seed: 1, editorIndex: 0, isPresenter: false)
        var second = OperationGenerator(seed: 1, editorIndex: 1, isPresenter: false)
        #expect(first.newID() != second.newID())
    }

    @Test func uuidsAreVersion4() {
        var rng = SeededRandom(seed: 3)
        for _ in 0..<100 {
            let id = rng.uuid()
            let bytes = Array(id.utf8)
            #expect(bytes.count == 36)
            #expect(bytes[14] == UInt8(ascii: "4"))
            #expect(
                [UInt8(ascii: "8"), UInt8(ascii: "9"), UInt8(ascii: "a"), UInt8(ascii: "b")].contains(
                    bytes[19]))
        }
    }
}
