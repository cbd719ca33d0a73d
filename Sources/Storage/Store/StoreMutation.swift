import CollabCore

/// One change to the store. A request's changes form a batch that is journaled as one record
/// and applied atomically; replay at start-up applies the same mutations through the same code.
public enum StoreMutation: Sendable, Equatable {
    case putModel(id: String, fields: [String: JSONValue])
    case deleteModel(id: String)
    case putChild(ChildKind, model: String, id: String, fields: [String: JSONValue])
    case deleteChild(ChildKind, model: String, id: String)
    case putMetadata(MetadataTarget, key: String, value: String)
    case deleteMetadata(MetadataTarget, key: String)
    /// A live-collaboration change to a diagram's cells: whole cells to insert or replace (by
    /// `id`, new ones appended), ids to remove, and the diagram's new `update_vector`. Small
    /// per operation, so every accepted operation can be journaled before it is broadcast.
    case patchCells(
        model: String, diagram: String, upserts: [JSONValue], removes: [String], updateVector: Int)
    /// Raises the diagram's fencing high-water mark to `token` (several nodes, DESIGN §11). A
    /// batch carrying a token older than the mark is refused whole (`StoreUnavailable.isFenced`),
    /// so an owner that lost its lease can never write after the node that took over. A batch
    /// without one (single node, REST) is never fenced.
    case fence(model: String, diagram: String, token: UInt64)
    /// Remembers an applied operation (`entry`: CollabCore's `AppliedOperation` JSON) so the next
    /// owner of the diagram's session de-duplicates a resent `operation_id` (several nodes only).
    /// Kept by a shared backend (PostgreSQL), read back with `recentOperations`; not held in memory.
    case recordOperation(model: String, diagram: String, operationID: String, revision: Int, entry: JSONValue)
}

extension StoreMutation {
    /// The threat model this mutation changes (itself or something inside it).
    public var modelID: String {
        switch self {
        case .putModel(let id, _), .deleteModel(let id): id
        case .putChild(_, let model, _, _), .deleteChild(_, let model, _): model
        case .putMetadata(let target, _, _), .deleteMetadata(let target, _): target.modelID
        case .patchCells(let model, _, _, _, _): model
        // Not part of the rendered model, but a revision moved too often costs only a render.
        case .fence(let model, _, _), .recordOperation(let model, _, _, _, _): model
        }
    }
}

extension StoreState {
    /// Applies one mutation. Mutations of missing parents are ignored: they can only come from a
    /// journal written by a newer or buggy build, and ignoring them keeps start-up total.
    public mutating func apply(_ mutation: StoreMutation) {
        switch mutation {
        case .putModel(let id, let fields):
            if models[id] == nil {
                models[id] = ThreatModelRecord(fields: fields)
            } else {
                models[id]!.fields = fields
            }
        case .deleteModel(let id):
            models[id] = nil
            if !fences.isEmpty { fences = fences.filter { $0.key.model != id } }
        case .putChild(let kind, let m, let id, let fields):
            guard models[m] != nil else { return }
            // In place: copying the collection out and back made every write O(threats in the
            // model) and a 10,000-threat journal replay quadratic (benchmarks/rest.md).
            models[m]!.children[kind, default: ChildCollection()].put(id, fields: fields)
        case .deleteChild(let kind, let m, let id):
            models[m]?.children[kind]?[id] = nil
            if kind == .diagrams { fences[DiagramKey(model: m, diagram: id)] = nil }
            // An emptied collection is dropped, so equal contents are equal states whichever
            // way they were reached (a store reloaded from rows has no empty collections).
            if models[m]?.children[kind]?.count == 0 { models[m]!.children[kind] = nil }
        case .putMetadata(let target, let key, let value):
            updateMetadata(target) { $0.set(key, value) }
        case .deleteMetadata(let target, let key):
            updateMetadata(target) { $0.remove(key) }
        case .patchCells(let m, let d, let upserts, let removes, let vector):
            guard var diagram = models[m]?.children[.diagrams]?[d] else { return }
            diagram.fields["cells"] = .array(
                Self.patched(diagram.fields["cells"]?.arrayValue ?? [], upserts: upserts, removes: removes))
            diagram.fields["update_vector"] = .number(Double(vector))
            models[m]!.children[.diagrams]![d] = diagram
        case .recordOperation:
            return
        case .fence(let m, let d, let token):
            guard models[m]?.children[.diagrams]?[d] != nil else { return }
            let key = DiagramKey(model: m, diagram: d)
            fences[key] = max(fences[key] ?? 0, token)
        }
    }

    /// `cells` with `upserts` replacing same-id cells in place (or appended) and `removes` dropped.
    static func patched(_ cells: [JSONValue], upserts: [JSONValue], removes: [String]) -> [JSONValue] {
        var out = cells
        var index: [String: Int] = [:]
        for (i, c) in out.enumerated() {
            if let id = c["id"]?.stringValue { index[id] = i }
        }
        for cell in upserts {
            guard let id = cell["id"]?.stringValue else { continue }
            if let i = index[id] {
                out[i] = cell
            } else {
                index[id] = out.count
                out.append(cell)
            }
        }
        if !removes.isEmpty {
            let gone = Set(removes)
            out.removeAll { $0["id"]?.stringValue.map(gone.contains) ?? false }
        }
        return out
    }

    private mutating func updateMetadata(_ target: MetadataTarget, _ change: (inout MetadataList) -> Void) {
        switch target {
        case .model(let m):
            guard models[m] != nil else { return }
            change(&models[m]!.metadata)
        case .child(let kind, let m, let id):
            guard models[m]?.children[kind]?[id] != nil else { return }
            change(&models[m]!.children[kind]![id]!.metadata)
        }
    }
}
