import CollabCore

/// The portable form of a whole store, for `tmi-server export` and `import` (docs/storage.md):
/// one JSON document that either backend can be filled from.
///
///     {"format":"tmi-store-dump","version":1,
///      "threat_models":[{"fields":{..},"metadata":[{key,value}],
///                        "children":{"threats":[{"fields":{..},"metadata":[..]}],..}}]}
///
/// Models are sorted by id and object keys are sorted, so the same state always gives the same
/// bytes (the round-trip test compares them); children and metadata keep creation order, and a
/// diagram's cells travel inside its fields in their order.
public enum StoreDump {
    public static let format = "tmi-store-dump"
    public static let version = 1

    public struct DumpError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The dump of `state` as UTF-8 JSON with a trailing newline.
    public static func encode(_ state: StoreState) -> [UInt8] {
        var models: [JSONValue] = []
        for id in state.models.keys.sorted() {
            let m = state.models[id]!
            var children: [String: JSONValue] = [:]
            for kind in ChildKind.allCases {
                let c = m.collection(kind)
                guard c.count > 0 else { continue }
                children[kind.rawValue] = .array(
                    c.ordered.map { .object(["fields": .object($0.fields), "metadata": $0.metadata.json]) })
            }
            models.append([
                "fields": .object(m.fields), "metadata": m.metadata.json, "children": .object(children),
            ])
        }
        let doc: JSONValue = [
            "format": .string(format), "version": .number(Double(version)), "threat_models": .array(models),
        ]
        return doc.serialized(sortedKeys: true) + [0x0A]
    }

    /// The batches that rebuild a dump's state, one per threat model (so a large import is many
    /// moderate commits, not one huge one). Throws on a document that is not a dump.
    public static func batches(_ bytes: [UInt8]) throws -> [[StoreMutation]] {
        let doc = try JSONValue.parse(bytes, maxDepth: JSONValue.maxStoredDepth)
        guard doc["format"]?.stringValue == format else {
            throw DumpError(description: "not a TMI store dump (no \"format\":\"\(format)\")")
        }
        guard doc["version"]?.doubleValue == Double(version) else {
            throw DumpError(
                description: "unsupported dump version \(doc["version"].map { "\($0)" } ?? "none")")
        }
        guard let models = doc["threat_models"]?.arrayValue else {
            throw DumpError(description: "the dump has no threat_models array")
        }
        var out: [[StoreMutation]] = []
        out.reserveCapacity(models.count)
        for (i, mv) in models.enumerated() {
            guard let fields = mv["fields"]?.objectValue, let id = fields["id"]?.stringValue else {
                throw DumpError(description: "threat_models[\(i)] has no fields.id")
            }
            var batch: [StoreMutation] = [.putModel(id: id, fields: fields)]
            for (key, value) in try entries(mv["metadata"], "threat_models[\(i)].metadata") {
                batch.append(.putMetadata(.model(id), key: key, value: value))
            }
            for (name, list) in mv["children"]?.objectValue ?? [:] {
                guard let kind = ChildKind(rawValue: name), let items = list.arrayValue else {
                    throw DumpError(
                        description: "threat_models[\(i)].children.\(name) is not a known collection")
                }
                for (j, cv) in items.enumerated() {
                    let at = "threat_models[\(i)].children.\(name)[\(j)]"
                    guard let cf = cv["fields"]?.objectValue, let cid = cf["id"]?.stringValue else {
                        throw DumpError(description: "\(at) has no fields.id")
                    }
                    batch.append(.putChild(kind, model: id, id: cid, fields: cf))
                    for (key, value) in try entries(cv["metadata"], "\(at).metadata") {
                        batch.append(.putMetadata(.child(kind, model: id, id: cid), key: key, value: value))
                    }
                }
            }
            out.append(batch)
        }
        return out
    }

    static func entries(_ v: JSONValue?, _ at: String) throws -> [(String, String)] {
        guard let v, !v.isNull else { return [] }
        guard let list = v.arrayValue else { throw DumpError(description: "\(at) is not an array") }
        return try list.map { e in
            guard let k = e["key"]?.stringValue, let val = e["value"]?.stringValue else {
                throw DumpError(description: "\(at) has an entry without a string key and value")
            }
            return (k, val)
        }
    }
}
