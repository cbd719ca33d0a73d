import CollabCore

/// JSON forms of mutations (journal records) and of the whole state (snapshots).
///
/// Journal record: `{"m":[mutation, ...]}`; mutation: `{"op":"put_model","id":..,"fields":{..}}`
/// and so on. Snapshot: `{"models":[{"fields":{..},"metadata":[..],"children":{"threats":[..]}}]}`.
public enum StoreCodec {
    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func encode(batch: [StoreMutation]) -> [UInt8] {
        JSONValue.object(["m": .array(batch.map(encode))]).serialized()
    }

    public static func decode(batch bytes: [UInt8]) throws -> [StoreMutation] {
        let v = try JSONValue.parse(bytes, maxDepth: JSONValue.maxStoredDepth)
        guard let list = v["m"]?.arrayValue else { throw DecodeError(description: "record without m") }
        return try list.map(decode)
    }

    public static func encode(_ m: StoreMutation) -> JSONValue {
        switch m {
        case .putModel(let id, let fields):
            ["op": "put_model", "id": .string(id), "fields": .object(fields)]
        case .deleteModel(let id):
            ["op": "delete_model", "id": .string(id)]
        case .putChild(let kind, let model, let id, let fields):
            [
                "op": "put_child", "kind": .string(kind.rawValue), "model": .string(model), "id": .string(id),
                "fields": .object(fields),
            ]
        case .deleteChild(let kind, let model, let id):
            [
                "op": "delete_child", "kind": .string(kind.rawValue), "model": .string(model),
                "id": .string(id),
            ]
        case .putMetadata(let target, let key, let value):
            ["op": "put_meta", "target": encode(target), "key": .string(key), "value": .string(value)]
        case .deleteMetadata(let target, let key):
            ["op": "delete_meta", "target": encode(target), "key": .string(key)]
        case .patchCells(let model, let diagram, let upserts, let removes, let vector):
            [
                "op": "patch_cells", "model": .string(model), "id": .string(diagram),
                "upserts": .array(upserts),
                "removes": .array(removes.map { .string($0) }), "vector": .number(Double(vector)),
            ]
        case .recordOperation(let model, let diagram, let operationID, let revision, let entry):
            [
                "op": "record_operation", "model": .string(model), "id": .string(diagram),
                "operation_id": .string(operationID), "revision": .number(Double(revision)), "entry": entry,
            ]
        case .fence(let model, let diagram, let token):
            ["op": "fence", "model": .string(model), "id": .string(diagram), "token": .string(String(token))]
        }
    }

    public static func encode(_ t: MetadataTarget) -> JSONValue {
        switch t {
        case .model(let m): ["model": .string(m)]
        case .child(let kind, let m, let id):
            ["model": .string(m), "kind": .string(kind.rawValue), "id": .string(id)]
        }
    }

    public static func decode(_ v: JSONValue) throws -> StoreMutation {
        func str(_ k: String) throws -> String {
            guard let s = v[k]?.stringValue else { throw DecodeError(description: "missing \(k) in \(v)") }
            return s
        }
        func kind() throws -> ChildKind {
            guard let k = ChildKind(rawValue: try str("kind")) else {
                throw DecodeError(description: "bad kind")
            }
            return k
        }
        func fields() throws -> [String: JSONValue] {
            guard let o = v["fields"]?.objectValue else { throw DecodeError(description: "missing fields") }
            return o
        }
        switch try str("op") {
        case "put_model": return .putModel(id: try str("id"), fields: try fields())
        case "delete_model": return .deleteModel(id: try str("id"))
        case "put_child":
            return .putChild(try kind(), model: try str("model"), id: try str("id"), fields: try fields())
        case "delete_child": return .deleteChild(try kind(), model: try str("model"), id: try str("id"))
        case "put_meta":
            return .putMetadata(try target(v["target"]), key: try str("key"), value: try str("value"))
        case "delete_meta": return .deleteMetadata(try target(v["target"]), key: try str("key"))
        case "patch_cells":
            guard let upserts = v["upserts"]?.arrayValue, let removes = v["removes"]?.arrayValue,
                let vector = v["vector"]?.doubleValue
            else { throw DecodeError(description: "bad patch_cells") }
            return .patchCells(
                model: try str("model"), diagram: try str("id"), upserts: upserts,
                removes: removes.compactMap(\.stringValue), updateVector: Int(vector))
        case "record_operation":
            guard let revision = v["revision"]?.doubleValue, let entry = v["entry"] else {
                throw DecodeError(description: "bad record_operation")
            }
            return .recordOperation(
                model: try str("model"), diagram: try str("id"), operationID: try str("operation_id"),
                revision: Int(revision), entry: entry)
        case "fence":
            guard let token = UInt64(try str("token")) else { throw DecodeError(description: "bad fence") }
            return .fence(model: try str("model"), diagram: try str("id"), token: token)
        case let op: throw DecodeError(description: "unknown op \(op)")
        }
    }

    public static func target(_ v: JSONValue?) throws -> MetadataTarget {
        guard let v, let m = v["model"]?.stringValue else { throw DecodeError(description: "bad target") }
        if let k = v["kind"]?.stringValue, let kind = ChildKind(rawValue: k), let id = v["id"]?.stringValue {
            return .child(kind, model: m, id: id)
        }
        return .model(m)
    }

    public static func metadataList(_ v: JSONValue?) -> MetadataList {
        var list = MetadataList()
        for e in v?.arrayValue ?? [] {
            if let k = e["key"]?.stringValue, let val = e["value"]?.stringValue { list.set(k, val) }
        }
        return list
    }

    public static func encode(snapshot state: StoreState) -> [UInt8] {
        var models: [JSONValue] = []
        models.reserveCapacity(state.models.count)
        for (_, m) in state.models {
            var children: [String: JSONValue] = [:]
            for (kind, c) in m.children {
                children[kind.rawValue] = .array(
                    c.ordered.map { .object(["fields": .object($0.fields), "metadata": $0.metadata.json]) })
            }
            models.append(
                ["fields": .object(m.fields), "metadata": m.metadata.json, "children": .object(children)])
        }
        var snapshot: [String: JSONValue] = ["version": 1, "models": .array(models)]
        if !state.fences.isEmpty {
            snapshot["fences"] = .array(
                state.fences.map {
                    [
                        "model": .string($0.key.model), "id": .string($0.key.diagram),
                        "token": .string(String($0.value)),
                    ]
                })
        }
        return JSONValue.object(snapshot).serialized()
    }

    public static func decode(snapshot bytes: [UInt8]) throws -> StoreState {
        let v = try JSONValue.parse(bytes, maxDepth: JSONValue.maxStoredDepth)
        var state = StoreState()
        for mv in v["models"]?.arrayValue ?? [] {
            guard let fields = mv["fields"]?.objectValue, let id = fields["id"]?.stringValue else {
                throw DecodeError(description: "snapshot model without id")
            }
            var record = ThreatModelRecord(fields: fields)
            record.metadata = metadataList(mv["metadata"])
            for (k, list) in mv["children"]?.objectValue ?? [:] {
                guard let kind = ChildKind(rawValue: k) else { continue }
                var c = ChildCollection()
                for cv in list.arrayValue ?? [] {
                    guard let f = cv["fields"]?.objectValue, let cid = f["id"]?.stringValue else { continue }
                    c[cid] = ChildRecord(fields: f, metadata: metadataList(cv["metadata"]))
                }
                record.children[kind] = c
            }
            state.models[id] = record
        }
        for f in v["fences"]?.arrayValue ?? [] {
            guard let m = f["model"]?.stringValue, let d = f["id"]?.stringValue,
                let token = f["token"]?.stringValue.flatMap({ UInt64($0) })
            else { throw DecodeError(description: "bad fence in snapshot") }
            state.fences[DiagramKey(model: m, diagram: d)] = token
        }
        return state
    }
}
