import CollabCore
import Storage
import WireProtocol

/// Start-up: the whole state read back from the tables, in creation order, with the same
/// `StoreState.apply` the embedded journal replays through, so both backends rebuild the state
/// by one code path.
extension PostgresStore {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// Every model, or only `model` (a node reading back what other nodes wrote).
    static func load(_ client: PostgresClient, _ t: PostgresTables, model only: String? = nil) async throws
        -> StoreState
    {
        try await loadRevised(client, t, model: only).state
    }

    /// `load`, with each loaded model's revision (migration 13). A model's row (its fields and
    /// revision) is read before its children, metadata and cells, so what is loaded is at least as
    /// new as the revision returned with it: a change racing the load can only make a later
    /// comparison reload once more, never hide a change.
    static func loadRevised(_ client: PostgresClient, _ t: PostgresTables, model only: String? = nil)
        async throws -> (state: StoreState, revisions: [String: Int])
    {
        var state = StoreState()
        var modelRevisions: [String: Int] = [:]
        // One fixed text per case; the id is always a parameter.
        let filter = only == nil ? "" : " WHERE model_id = $1"
        let params: [PostgresValue] = only.map { [.text($0)] } ?? []
        for row in try await client.query(
            "SELECT id, revision, fields::text AS f FROM \(t.models)\(only == nil ? "" : " WHERE id = $1") ORDER BY seq",
            params
        ).rows {
            let id = try row.string("id")
            state.apply(.putModel(id: id, fields: try object(row, "f")))
            modelRevisions[id] = try row.int("revision")
        }
        /// Keyed by "model/diagram": a diagram id is unique only within its model.
        var revisions: [String: Int] = [:]
        let children = try await client.query(
            "SELECT model_id, kind, id, fields::text AS f, update_vector FROM \(t.children)\(filter) ORDER BY seq",
            params)
        for row in children.rows {
            let kindName = try row.string("kind")
            guard let kind = ChildKind(rawValue: kindName) else {
                throw LoadError(description: "tmi_children holds an unknown kind '\(kindName)'")
            }
            let model = try row.string("model_id")
            let id = try row.string("id")
            state.apply(.putChild(kind, model: model, id: id, fields: try object(row, "f")))
            if kind == .diagrams, let vector = row["update_vector"]?.int {
                revisions[model + "/" + id] = vector
            }
        }
        for row in try await client.query(
            "SELECT model_id, kind, child_id, key, value::text AS v FROM \(t.metadata)\(filter) ORDER BY seq",
            params
        ).rows {
            let model = try row.string("model_id")
            let kindName = try row.string("kind")
            let target: MetadataTarget
            if kindName.isEmpty {
                target = .model(model)
            } else if let kind = ChildKind(rawValue: kindName) {
                target = .child(kind, model: model, id: try row.string("child_id"))
            } else {
                throw LoadError(description: "tmi_metadata holds an unknown kind '\(kindName)'")
            }
            guard let value = try parse(row, "v").stringValue else {
                throw LoadError(description: "tmi_metadata holds a value that is not a JSON string")
            }
            state.apply(.putMetadata(target, key: try row.string("key"), value: value))
        }
        var cells: [String: [JSONValue]] = [:]
        for row in try await client.query(
            "SELECT model_id, diagram_id, data::text AS d FROM \(t.cells)\(filter) ORDER BY seq", params
        ).rows {
            let key = try row.string("model_id") + "/" + row.string("diagram_id")
            cells[key, default: []].append(try parse(row, "d"))
        }
        // A diagram has a cells array when it was written with one (the `[]` marker in its
        // fields) or when a live session changed it (its revision column is set); the rows fill it.
        for (modelID, model) in state.models {
            for id in model.collection(.diagrams).ids {
                guard var diagram = model.collection(.diagrams)[id] else { continue }
                let revision = revisions[modelID + "/" + id]
                let rows = cells[modelID + "/" + id]
                guard diagram.fields["cells"]?.arrayValue != nil || revision != nil || rows != nil else {
                    continue
                }
                diagram.fields["cells"] = .array(rows ?? [])
                if let revision { diagram.fields["update_vector"] = .number(Double(revision)) }
                state.models[modelID]!.children[.diagrams]![id] = diagram
            }
        }
        for row in try await client.query(
            "SELECT model_id, diagram_id, token FROM \(t.fences)\(filter)", params
        ).rows {
            guard let token = row["token"]?.int, token >= 0 else { continue }
            state.apply(
                .fence(
                    model: try row.string("model_id"), diagram: try row.string("diagram_id"),
                    token: UInt64(token)))
        }
        return (state, modelRevisions)
    }

    /// Every model's id and revision: what a node compares with its memory before a list.
    static func revisions(_ client: PostgresClient, _ t: PostgresTables) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        let rows = try await client.query("SELECT id, revision FROM \(t.models)")
        out.reserveCapacity(rows.rows.count)
        for row in rows.rows { out[try row.string("id")] = try row.int("revision") }
        return out
    }

    static func parse(_ row: PostgresRow, _ column: String) throws -> JSONValue {
        try JSONValue.parse(Array(try row.string(column).utf8), maxDepth: JSONValue.maxStoredDepth)
    }

    static func object(_ row: PostgresRow, _ column: String) throws -> [String: JSONValue] {
        guard let object = try parse(row, column).objectValue else {
            throw LoadError(description: "a stored \(column) is not a JSON object")
        }
        return object
    }
}
