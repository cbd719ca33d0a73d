/// The cells of one diagram and its revision (`update_vector`).
///
/// Cells are `JSONValue` objects kept losslessly (unknown X6 properties survive) and keyed by their
/// `id`; the order in which cells were first added is kept for output, because X6 draws in array
/// order when `zIndex` ties. A removal leaves a tombstone that is compacted once tombstones
/// outnumber live cells, so `remove` is O(1) amortised and `upsert` of an existing cell keeps its
/// place. The state also indexes edges by the node ids they attach to, so removing a node finds its
/// edges without scanning every cell.
public struct DiagramState: Sendable {
    /// The `update_vector`: bumped by one for each accepted operation message.
    public var revision: Int64
    private var slots: [Slot]
    private var index: [String: Int]
    private var tombstones: Int
    private var edgesByEndpoint: [String: Set<String>]

    struct Slot: Sendable {
        var id: String
        var cell: JSONValue?
    }

    /// Cells without a string `id` cannot be addressed by any operation and are skipped (the REST
    /// layer rejects such diagrams with 422 before they get here); a repeated id keeps the first
    /// position and the last value.
    public init(revision: Int64 = 0, cells: [JSONValue] = []) {
        self.revision = revision
        slots = []
        index = [:]
        tombstones = 0
        edgesByEndpoint = [:]
        slots.reserveCapacity(cells.count)
        for cell in cells {
            if let id = cell["id"]?.stringValue { upsert(cell, id: id) }
        }
    }

    public var count: Int { slots.count - tombstones }
    public var isEmpty: Bool { count == 0 }

    public subscript(id: String) -> JSONValue? {
        guard let i = index[id] else { return nil }
        return slots[i].cell
    }

    public func contains(_ id: String) -> Bool { index[id] != nil }

    /// The live cells in insertion order.
    public var cells: [JSONValue] {
        var out: [JSONValue] = []
        out.reserveCapacity(count)
        for slot in slots { if let c = slot.cell { out.append(c) } }
        return out
    }

    public var cellIDs: [String] { slots.compactMap { $0.cell == nil ? nil : $0.id } }

    /// Ids of the cells whose `source` or `target` names `nodeID`.
    public func edges(attachedTo nodeID: String) -> Set<String> { edgesByEndpoint[nodeID] ?? [] }

    /// Inserts a new cell at the end, or replaces an existing one in place.
    public mutating func upsert(_ cell: JSONValue, id: String) {
        if let i = index[id], let old = slots[i].cell {
            unindexEdge(old, id: id)
            slots[i].cell = cell
        } else {
            index[id] = slots.count
            slots.append(Slot(id: id, cell: cell))
        }
        indexEdge(cell, id: id)
    }

    @discardableResult
    public mutating func remove(id: String) -> JSONValue? {
        guard let i = index.removeValue(forKey: id), let old = slots[i].cell else { return nil }
        unindexEdge(old, id: id)
        slots[i].cell = nil
        tombstones += 1
        if tombstones > 32 && tombstones * 2 > slots.count { compact() }
        return old
    }

    /// Puts back a cell removed since the last compaction into its old place (its tombstone), so
    /// a rollback (`DiagramEngine.rollBack`) restores the order too; otherwise an `upsert`. O(n),
    /// only on that failure path.
    mutating func restore(_ cell: JSONValue, id: String) {
        guard index[id] == nil, let i = slots.lastIndex(where: { $0.id == id && $0.cell == nil }) else {
            upsert(cell, id: id)
            return
        }
        slots[i].cell = cell
        tombstones -= 1
        index[id] = i
        indexEdge(cell, id: id)
    }

    private mutating func compact() {
        slots.removeAll { $0.cell == nil }
        tombstones = 0
        index.removeAll(keepingCapacity: true)
        for (i, slot) in slots.enumerated() { index[slot.id] = i }
    }

    private mutating func indexEdge(_ cell: JSONValue, id: String) {
        for endpoint in EdgeEndpoints.of(cell) { edgesByEndpoint[endpoint, default: []].insert(id) }
    }

    private mutating func unindexEdge(_ cell: JSONValue, id: String) {
        for endpoint in EdgeEndpoints.of(cell) {
            edgesByEndpoint[endpoint]?.remove(id)
            if edgesByEndpoint[endpoint]?.isEmpty == true { edgesByEndpoint[endpoint] = nil }
        }
    }
}

extension DiagramState: Equatable {
    /// Two states are equal when they hold the same revision and the same cells in the same order.
    public static func == (a: DiagramState, b: DiagramState) -> Bool {
        a.revision == b.revision && a.cells == b.cells
    }
}

/// Where an edge attaches. X6 writes a terminal as `{"cell": id, "port": …}`, older clients as a
/// bare id string; a terminal that is a point (`{"x", "y"}`) attaches to nothing.
public enum EdgeEndpoints {
    public static func of(_ cell: JSONValue) -> [String] {
        guard case .object(let o) = cell else { return [] }
        var out: [String] = []
        for key in ["source", "target"] {
            switch o[key] {
            case .string(let id)?: out.append(id)
            case .object(let t)?: if let id = t["cell"]?.stringValue { out.append(id) }
            default: break
            }
        }
        return out
    }
}
