import CollabCore

/// Chooses what a simulated editor does next, from a seeded generator and the cells the editor
/// currently sees. The mix imitates people drawing a data-flow diagram: mostly dragging shapes
/// around, some relabelling and resizing, a steady trickle of new nodes and flows, the occasional
/// delete and undo, and the presenter's cursor moving all the time. Every operation names cells
/// that exist in the editor's view (edges join two existing nodes; removing a node removes its
/// edges in the same message), so rejections measure real conflicts between editors.
public struct OperationGenerator: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case addNode, addEdge, move, resize, relabel, remove, undo, cursor
    }

    public enum Action: Sendable, Equatable {
        case operation(kind: Kind, cells: [CellChange])
        case undo
        case cursor(x: Double, y: Double)
    }

    /// Relative weights of each kind when every kind is possible.
    public static let weights: [(Kind, Int)] = [
        (.move, 34), (.addNode, 14), (.relabel, 12), (.addEdge, 10), (.resize, 8), (.remove, 8), (.undo, 4),
        (.cursor, 10),
    ]
    /// Below this many nodes the editor only adds nodes; above `maxNodes` adds become removes.
    public static let minNodes = 3
    public static let maxNodes = 40
    static let shapes = ["process", "process", "store", "actor"]
    static let words = [
        "Web App", "API Gateway", "Auth Service", "User DB", "Cache", "Payment", "Queue", "Browser", "Admin",
        "Audit Log", "Storage", "Worker",
    ]

    var rng: SeededRandom
    /// Whether this editor presents (moves a shared cursor); follows `current_presenter`.
    public var isPresenter: Bool
    var counter = 0

    public init(seed: UInt64, editorIndex: Int, isPresenter: Bool) {
        rng = SeededRandom(seed: seed).fork(UInt64(editorIndex))
        self.isPresenter = isPresenter
    }

    /// A fresh cell id from this editor's stream.
    public mutating func newID() -> String { rng.uuid() }

    /// The next action given the editor's view of the cells.
    public mutating func next(view: [String: JSONValue]) -> Action {
        let ids = view.keys.sorted()  // dictionary order is random per process; sort for replay
        let nodes = ids.filter { view[$0]?["shape"]?.stringValue != "edge" }
        let edges = ids.filter { view[$0]?["shape"]?.stringValue == "edge" }
        var kind = pickKind()
        if nodes.count < Self.minNodes && kind != .cursor { kind = .addNode }
        if nodes.count >= Self.maxNodes && kind == .addNode { kind = .remove }
        switch kind {
        case .cursor:
            return .cursor(
                x: Double(Int.random(in: 0...1600, using: &rng)),
                y: Double(Int.random(in: 0...900, using: &rng)))
        case .undo:
            return .undo
        case .addNode:
            return .operation(kind: .addNode, cells: [.add(makeNode())])
        case .addEdge:
            let source = nodes.randomElement(using: &rng)!
            var target = nodes.randomElement(using: &rng)!
            if target == source { target = nodes.first { $0 != source } ?? source }
            return .operation(kind: .addEdge, cells: [.add(makeEdge(source: source, target: target))])
        case .move, .resize, .relabel:
            var cell = view[nodes.randomElement(using: &rng)!]!
            switch kind {
            case .move:
                cell["x"] = .number(clamp((cell["x"]?.doubleValue ?? 0) + delta(80), 0, 1600))
                cell["y"] = .number(clamp((cell["y"]?.doubleValue ?? 0) + delta(60), 0, 900))
            case .resize:
                cell["width"] = .number(Double(Int.random(in: 80...240, using: &rng)))
                cell["height"] = .number(Double(Int.random(in: 40...120, using: &rng)))
            default:
                cell["attrs"] = ["text": ["text": .string(label())]]
            }
            return .operation(kind: kind, cells: [.update(cell)])
        case .remove:
            if !edges.isEmpty && Bool.random(using: &rng) {
                return .operation(kind: .remove, cells: [.remove(edges.randomElement(using: &rng)!)])
            }
            let victim = nodes.randomElement(using: &rng)!
            let attached = edges.filter { id in
                view[id]?["source"]?["cell"]?.stringValue == victim
                    || view[id]?["target"]?["cell"]?.stringValue == victim
            }
            return .operation(kind: .remove, cells: attached.map(CellChange.remove) + [.remove(victim)])
        }
    }

    mutating func pickKind() -> Kind {
        let table = Self.weights.filter { isPresenter || $0.0 != .cursor }
        let total = table.reduce(0) { $0 + $1.1 }
        var roll = Int.random(in: 0..<total, using: &rng)
        for (kind, weight) in table {
            if roll < weight { return kind }
            roll -= weight
        }
        return .move
    }

    mutating func makeNode() -> JSONValue {
        [
            "id": .string(newID()), "shape": .string(Self.shapes.randomElement(using: &rng)!),
            "x": .number(Double(Int.random(in: 0...1400, using: &rng))),
            "y": .number(Double(Int.random(in: 0...800, using: &rng))),
            "width": 120, "height": 60, "zIndex": 1,
            "attrs": ["text": ["text": .string(label())]],
        ]
    }

    mutating func makeEdge(source: String, target: String) -> JSONValue {
        [
            "id": .string(newID()), "shape": "edge", "source": ["cell": .string(source)],
            "target": ["cell": .string(target)], "zIndex": 0,
            "labels": [
                [
                    "attrs": [
                        "text": [
                            "text": .string(["HTTPS", "SQL", "gRPC", "AMQP"].randomElement(using: &rng)!)
                        ]
                    ]
                ]
            ],
        ]
    }

    mutating func label() -> String {
        counter += 1
        return Self.words.randomElement(using: &rng)! + " \(counter)"
    }

    mutating func delta(_ span: Int) -> Double { Double(Int.random(in: -span...span, using: &rng)) }
}

func clamp(_ v: Double, _ lo: Double, _ hi: Double) -> Double { Swift.min(Swift.max(v, lo), hi) }
