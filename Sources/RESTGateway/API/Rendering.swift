import CollabCore
import Storage

/// Response shapes of stored entities (the spec's ThreatModel, Threat, Document, Source, Diagram).
public enum Rendering {
    public static func child(_ kind: ChildKind, _ record: ChildRecord, model: String) -> JSONValue {
        var o = record.fields
        o["metadata"] = record.metadata.json
        if kind == .threats { o["threat_model_id"] = .string(model) }
        if kind == .diagrams, o["cells"] == nil { o["cells"] = .array([]) }
        return .object(o)
    }

    /// The spec's `ThreatModel`: own fields, metadata, and every nested collection.
    public static func model(_ record: ThreatModelRecord) -> JSONValue {
        var o = record.fields
        let id = record.fields["id"]?.stringValue ?? ""
        o["metadata"] = record.metadata.json
        func list(_ kind: ChildKind) -> JSONValue {
            .array(record.collection(kind).ordered.map { child(kind, $0, model: id) })
        }
        o["threats"] = list(.threats)
        o["documents"] = list(.documents)
        o["sourceCode"] = list(.sources)
        o["diagrams"] = list(.diagrams)
        return .object(o)
    }

    /// The spec's `TMListItem`: summary fields and counts.
    public static func listItem(_ record: ThreatModelRecord) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in [
            "id", "name", "description", "created_at", "modified_at", "owner", "created_by",
            "threat_model_framework", "issue_url",
        ] {
            if let v = record.fields[k], !v.isNull { o[k] = v }
        }
        o["document_count"] = .number(Double(record.collection(.documents).count))
        o["source_count"] = .number(Double(record.collection(.sources).count))
        o["diagram_count"] = .number(Double(record.collection(.diagrams).count))
        o["threat_count"] = .number(Double(record.collection(.threats).count))
        return .object(o)
    }
}
