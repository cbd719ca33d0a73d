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
        case .putChild(let kind, let m, let id, let fields):
            guard models[m] != nil else { return }
            var c = models[m]!.children[kind] ?? ChildCollection()
            if var existing = c[id] {
                existing.fields = fields
                c[id] = existing
            } else {
                c[id] = ChildRecord(fields: fields)
            }
            models[m]!.children[kind] = c
        case .deleteChild(let kind, let m, let id):
            models[m]?.children[kind]?[id] = nil
        case .putMetadata(let target, let key, let value):
            updateMetadata(target) { $0.set(key, value) }
        case .deleteMetadata(let target, let key):
            updateMetadata(target) { $0.remove(key) }
        }
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
