import CollabCore

/// How to take one applied mutation back: the prior value of exactly what it touched, never a
/// copy of a collection. Recorded by `StoreState.apply(_:undo:)` just before the mutation, so
/// it costs O(size of the change); the values it keeps are shared copy-on-write storage that the
/// mutation replaces rather than edits, so keeping them forces no copy of the live state.
/// Applying a batch's entries in reverse order (`StoreState.undo(_:)`) restores the state before
/// the batch exactly, orders of ids and metadata keys included.
enum StoreUndo: Sendable {
    /// The model did not exist.
    case removeModel(id: String)
    /// The model existed with these fields (a put replaced them).
    case modelFields(id: String, fields: [String: JSONValue])
    /// The model was deleted: the whole record (shared, not copied).
    case restoreModel(id: String, record: ThreatModelRecord)
    /// The child did not exist; `collectionExisted` is false when the put created its collection.
    case removeChild(ChildKind, model: String, id: String, collectionExisted: Bool)
    /// The child existed with these fields.
    case childFields(ChildKind, model: String, id: String, fields: [String: JSONValue])
    /// The child was deleted from position `at` of its collection.
    case restoreChild(ChildKind, model: String, id: String, record: ChildRecord, at: Int)
    /// The key was absent.
    case removeMetadata(MetadataTarget, key: String)
    /// The key held `value` at position `at`.
    case restoreMetadata(MetadataTarget, key: String, value: String, at: Int)
    /// The diagram's fencing mark was this (nil: none).
    case fenceMark(DiagramKey, token: UInt64?)
    /// The mutation changed nothing (its parent was missing).
    case nothing
}

extension StoreState {
    /// Applies `mutation` and appends how to take it back to `undo`.
    mutating func apply(_ mutation: StoreMutation, undo: inout [StoreUndo]) {
        undo.append(undoEntry(for: mutation))
        apply(mutation)
    }

    /// Takes back a batch applied with `apply(_:undo:)`: its entries, newest first.
    mutating func undo(_ entries: [StoreUndo]) {
        for entry in entries.reversed() { undo(entry) }
    }

    private func undoEntry(for mutation: StoreMutation) -> StoreUndo {
        switch mutation {
        case .putModel(let id, _):
            guard let old = models[id] else { return .removeModel(id: id) }
            return .modelFields(id: id, fields: old.fields)
        case .deleteModel(let id):
            guard let old = models[id] else { return .nothing }
            return .restoreModel(id: id, record: old)
        case .putChild(let kind, let m, let id, _):
            guard let model = models[m] else { return .nothing }
            guard let old = model.children[kind]?[id] else {
                return .removeChild(kind, model: m, id: id, collectionExisted: model.children[kind] != nil)
            }
            return .childFields(kind, model: m, id: id, fields: old.fields)
        case .deleteChild(let kind, let m, let id):
            guard let collection = models[m]?.children[kind], let old = collection[id],
                let at = collection.ids.firstIndex(of: id)
            else { return .nothing }
            return .restoreChild(kind, model: m, id: id, record: old, at: at)
        case .putMetadata(let target, let key, _), .deleteMetadata(let target, let key):
            guard let list = metadata(of: target) else { return .nothing }
            guard let value = list[key], let at = list.keys.firstIndex(of: key) else {
                return .removeMetadata(target, key: key)
            }
            return .restoreMetadata(target, key: key, value: value, at: at)
        case .patchCells(let m, let d, _, _, _):
            guard let old = models[m]?.children[.diagrams]?[d] else { return .nothing }
            return .childFields(.diagrams, model: m, id: d, fields: old.fields)
        case .fence(let m, let d, _):
            let key = DiagramKey(model: m, diagram: d)
            return .fenceMark(key, token: fences[key])
        case .recordOperation:
            return .nothing  // not held in memory
        }
    }

    private mutating func undo(_ entry: StoreUndo) {
        switch entry {
        case .nothing: break
        case .fenceMark(let key, let token): fences[key] = token
        case .removeModel(let id): models[id] = nil
        case .modelFields(let id, let fields): models[id]?.fields = fields
        case .restoreModel(let id, let record): models[id] = record
        case .removeChild(let kind, let m, let id, let collectionExisted):
            models[m]?.children[kind]?[id] = nil
            if !collectionExisted { models[m]?.children[kind] = nil }
        case .childFields(let kind, let m, let id, let fields):
            models[m]?.children[kind]?.put(id, fields: fields)
        case .restoreChild(let kind, let m, let id, let record, let at):
            guard models[m] != nil else { return }
            models[m]!.children[kind, default: ChildCollection()].insert(id, record, at: at)
        case .removeMetadata(let target, let key):
            changeMetadata(target) { $0.remove(key) }
        case .restoreMetadata(let target, let key, let value, let at):
            changeMetadata(target) { $0.insert(key, value, at: at) }
        }
    }

    private mutating func changeMetadata(_ target: MetadataTarget, _ change: (inout MetadataList) -> Void) {
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

extension ChildCollection {
    /// Puts a deleted child back where it was (an undo); replaces it when present.
    mutating func insert(_ id: String, _ record: ChildRecord, at position: Int) {
        guard self[id] == nil else {
            self[id] = record
            return
        }
        restore(id, record, at: min(max(0, position), count))
    }
}

extension MetadataList {
    /// Puts a key back at its old position (an undo); sets the value when the key is present.
    mutating func insert(_ key: String, _ value: String, at position: Int) {
        guard self[key] == nil else {
            set(key, value)
            return
        }
        restore(key, value, at: min(max(0, position), count))
    }
}
