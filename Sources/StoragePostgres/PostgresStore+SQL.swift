import CollabCore
import Storage
import WireProtocol

/// Store mutations as SQL. Every statement is fixed text with `$n` parameters (user data never
/// becomes SQL), keyed by primary key, and idempotent: setting a row to a value, or deleting it.
/// So a group whose commit acknowledgement was lost can be sent again, in order, and the rows
/// end the same as if it had committed once (`PostgresStore` relies on this to retry).
struct StoreSQL: Sendable {
    let t: PostgresTables
    /// Operation ids kept per diagram (a resend older than that gets a state sync, not a dedup).
    static let operationsKept = 4096
    static let operationPruneEvery = 512

    func queries(for batch: [StoreMutation]) -> [PostgresQuery] {
        var out: [PostgresQuery] = []
        for m in batch { append(m, to: &out) }
        appendRevisions(for: batch, to: &out)
        return out
    }

    /// Moves the revision (migration 13) of every model whose list-visible state the batch
    /// changed, in the batch's own transaction, so a node that sees the new revision reads the
    /// change with it. A `putModel` moves it itself; a live session's cells, fencing marks and
    /// operation ids do not move it (the list never shows them, and they are the hot path). Run
    /// twice (a retried group) it moves twice: only "different from what I loaded" matters.
    func appendRevisions(for batch: [StoreMutation], to out: inout [PostgresQuery]) {
        var moved: Set<String> = []
        var bump: [String] = []
        for m in batch {
            switch m {
            case .putModel(let id, _), .deleteModel(let id):
                moved.insert(id)
            case .putChild, .deleteChild, .putMetadata, .deleteMetadata:
                if !moved.contains(m.modelID) && !bump.contains(m.modelID) { bump.append(m.modelID) }
            case .patchCells, .fence, .recordOperation:
                continue
            }
        }
        for id in bump where !moved.contains(id) {
            out.append(
                PostgresQuery("UPDATE \(t.models) SET revision = revision + 1 WHERE id = $1", [.text(id)]))
        }
    }

    func json(_ value: JSONValue) -> PostgresValue {
        .json(String(decoding: value.serialized(), as: UTF8.self))
    }

    func append(_ mutation: StoreMutation, to out: inout [PostgresQuery]) {
        switch mutation {
        case .putModel(let id, let fields):
            out.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.models) (id, fields) VALUES ($1, $2)
                    ON CONFLICT (id) DO UPDATE SET fields = EXCLUDED.fields, revision = \(t.models).revision + 1
                    """, [.text(id), json(.object(fields))]))
        case .deleteModel(let id):
            for table in [t.cells, t.metadata, t.fences, t.operations, t.children] {
                out.append(PostgresQuery("DELETE FROM \(table) WHERE model_id = $1", [.text(id)]))
            }
            out.append(PostgresQuery("DELETE FROM \(t.models) WHERE id = $1", [.text(id)]))
        case .putChild(let kind, let model, let id, var fields):
            // A diagram's cells go to their own rows; `"cells": []` stays in `fields` to say
            // the diagram has a cells array (see `PostgresStore+Load`).
            let cells = kind == .diagrams ? fields["cells"]?.arrayValue : nil
            if cells != nil { fields["cells"] = .array([]) }
            out.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.children) (model_id, kind, id, fields, update_vector)
                    SELECT $1, $2, $3, $4, NULL WHERE EXISTS (SELECT 1 FROM \(t.models) WHERE id = $1)
                    ON CONFLICT (model_id, kind, id)
                    DO UPDATE SET fields = EXCLUDED.fields, update_vector = NULL
                    """, [.text(model), .text(kind.rawValue), .text(id), json(.object(fields))]))
            if kind == .diagrams {
                // A diagram written whole (REST) replaces its cells whole.
                out.append(
                    PostgresQuery(
                        "DELETE FROM \(t.cells) WHERE model_id = $1 AND diagram_id = $2",
                        [.text(model), .text(id)]))
                for cell in cells ?? [] { upsertCell(cell, model: model, diagram: id, to: &out) }
            }
        case .deleteChild(let kind, let model, let id):
            if kind == .diagrams {
                for table in [t.cells, t.fences, t.operations] {
                    out.append(
                        PostgresQuery(
                            "DELETE FROM \(table) WHERE model_id = $1 AND diagram_id = $2",
                            [.text(model), .text(id)]))
                }
            }
            out.append(
                PostgresQuery(
                    "DELETE FROM \(t.metadata) WHERE model_id = $1 AND kind = $2 AND child_id = $3",
                    [.text(model), .text(kind.rawValue), .text(id)]))
            out.append(
                PostgresQuery(
                    "DELETE FROM \(t.children) WHERE model_id = $1 AND kind = $2 AND id = $3",
                    [.text(model), .text(kind.rawValue), .text(id)]))
        case .putMetadata(let target, let key, let value):
            let (model, kind, child) = columns(target)
            out.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.metadata) (model_id, kind, child_id, key, value)
                    SELECT $1, $2, $3, $4, $5 WHERE \(kind.isEmpty ? modelExists : childExists)
                    ON CONFLICT (model_id, kind, child_id, key) DO UPDATE SET value = EXCLUDED.value
                    """, [.text(model), .text(kind), .text(child), .text(key), json(.string(value))]))
        case .deleteMetadata(let target, let key):
            let (model, kind, child) = columns(target)
            out.append(
                PostgresQuery(
                    "DELETE FROM \(t.metadata) WHERE model_id = $1 AND kind = $2 AND child_id = $3 AND key = $4",
                    [.text(model), .text(kind), .text(child), .text(key)]))
        case .patchCells(let model, let diagram, let upserts, let removes, let vector):
            for cell in upserts { upsertCell(cell, model: model, diagram: diagram, to: &out) }
            for id in removes {
                out.append(
                    PostgresQuery(
                        "DELETE FROM \(t.cells) WHERE model_id = $1 AND diagram_id = $2 AND cell_id = $3",
                        [.text(model), .text(diagram), .text(id)]))
            }
            out.append(
                PostgresQuery(
                    "UPDATE \(t.children) SET update_vector = $3 WHERE model_id = $1 AND kind = 'diagrams' AND id = $2",
                    [.text(model), .text(diagram), .int(vector)]))
        case .recordOperation(let model, let diagram, let operationID, let revision, let entry):
            out.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.operations) (model_id, diagram_id, operation_id, revision, entry)
                    SELECT $1, $2, $3, $4, $5 WHERE EXISTS
                    (SELECT 1 FROM \(t.children) WHERE model_id = $1 AND kind = 'diagrams' AND id = $2)
                    ON CONFLICT (model_id, diagram_id, operation_id) DO NOTHING
                    """, [.text(model), .text(diagram), .text(operationID), .int(revision), json(entry)]))
            // Now and then, forget what no session will be asked about again.
            if revision % Self.operationPruneEvery == 0 {
                out.append(
                    PostgresQuery(
                        "DELETE FROM \(t.operations) WHERE model_id = $1 AND diagram_id = $2 AND revision <= $3",
                        [.text(model), .text(diagram), .int(revision - Self.operationsKept)]))
            }
        case .fence(let model, let diagram, let token):
            // Only for a diagram that exists, like `StoreState.apply`; raises TMI01 when stale.
            out.append(
                PostgresQuery(
                    """
                    SELECT \(t.fenceFunction)($1, $2, $3) WHERE EXISTS
                    (SELECT 1 FROM \(t.children) WHERE model_id = $1 AND kind = 'diagrams' AND id = $2)
                    """, [.text(model), .text(diagram), .int64(Int64(clamping: token))]))
        }
    }

    /// A cell keeps its place when it exists and goes last when new, as in `StoreState.patched`.
    /// Cells without a string id cannot pass validation; like `patched`, they are skipped.
    func upsertCell(_ cell: JSONValue, model: String, diagram: String, to out: inout [PostgresQuery]) {
        guard let id = cell["id"]?.stringValue else { return }
        out.append(
            PostgresQuery(
                """
                INSERT INTO \(t.cells) (model_id, diagram_id, cell_id, data)
                SELECT $1, $2, $3, $4
                WHERE EXISTS (SELECT 1 FROM \(t.children) WHERE model_id = $1 AND kind = 'diagrams' AND id = $2)
                ON CONFLICT (model_id, diagram_id, cell_id) DO UPDATE SET data = EXCLUDED.data
                """, [.text(model), .text(diagram), .text(id), json(cell)]))
    }

    /// Conditions for `$1` model and `$1, $2, $3` (model, kind, id) child: like
    /// `StoreState.apply`, a change under a parent that does not exist writes nothing.
    var modelExists: String { "EXISTS (SELECT 1 FROM \(t.models) WHERE id = $1)" }
    var childExists: String {
        "EXISTS (SELECT 1 FROM \(t.children) WHERE model_id = $1 AND kind = $2 AND id = $3)"
    }

    func columns(_ target: MetadataTarget) -> (model: String, kind: String, child: String) {
        switch target {
        case .model(let m): (m, "", "")
        case .child(let kind, let m, let id): (m, kind.rawValue, id)
        }
    }
}
