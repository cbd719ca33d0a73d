/// Shapes of the bulk and batch request bodies (the spec's `maxItems` on each).
public enum BulkRequests {
    /// `POST/PUT .../bulk` item limit for threats, documents, sources and metadata.
    public static let maxBulkItems = 20
    /// `POST .../threats/batch/patch` limit on `patches`.
    public static let maxBatchPatches = 10
    /// `DELETE .../threats/batch?threat_ids=` limit.
    public static let maxBatchDeleteIDs = 20

    /// The items of a bulk body: a JSON array of 1...`maxItems` elements. Each item is then parsed
    /// with its index as pointer (`/3`), so an error names the item.
    public static func items(_ json: JSONValue, maxItems: Int = maxBulkItems) throws(ValidationError)
        -> [JSONValue]
    {
        guard let items = json.arrayValue else {
            throw ValidationError("", .wrongType, "must be a JSON array")
        }
        guard !items.isEmpty else { throw ValidationError("", .tooShort, "must hold at least one item") }
        guard items.count <= maxItems else {
            throw ValidationError(
                "", .tooManyItems, "must hold at most \(maxItems) items (got \(items.count))")
        }
        return items
    }

    /// The id every item of `PUT .../threats/bulk` must carry (`/i/id`).
    public static func requiredID(of item: JSONValue, at index: Int) throws(ValidationError) -> EntityID {
        let r = try ObjectReader(item, pointer: Pointer.join("", index))
        guard let id = try r.uuid("id", required: true) else {
            throw ValidationError(r.path("id"), .required, "is required")
        }
        return id
    }

    /// One entry of a batch patch: the threat and the operations for it.
    public struct ThreatPatch: Sendable, Equatable {
        public var threatID: EntityID
        public var patch: JSONPatch
    }

    /// The body of `POST .../threats/batch/patch`: `{"patches": [{"threat_id", "operations"}]}`.
    /// A malformed operation list is reported with its pointer (`/patches/1/operations/0`).
    public static func batchPatch(_ json: JSONValue) throws(ValidationError) -> [ThreatPatch] {
        let r = try ObjectReader(json)
        guard let patches = try r.array("patches", required: true, maxItems: maxBatchPatches) else {
            return []
        }
        guard !patches.isEmpty else {
            throw ValidationError("/patches", .tooShort, "must hold at least one patch")
        }
        var out: [ThreatPatch] = []
        var seen = Set<EntityID>()
        for (i, item) in patches.enumerated() {
            let p = try ObjectReader(item, pointer: Pointer.join("/patches", i))
            guard let id = try p.uuid("threat_id", required: true) else { continue }
            guard seen.insert(id).inserted else {
                throw ValidationError(p.path("threat_id"), .duplicate, "names threat \(id) a second time")
            }
            let ops = try p.value("operations", required: true) ?? .null
            do throws(JSONPatchError) {
                out.append(ThreatPatch(threatID: id, patch: try JSONPatch.parse(ops)))
            } catch {
                throw ValidationError(p.path("operations") + error.patchPointer, .format, error.message)
            }
        }
        return out
    }

    /// `threat_ids=id1,id2` (form style, not exploded): 1...20 UUIDs.
    public static func threatIDs(_ query: String) throws(ValidationError) -> [EntityID] {
        let parts = query.split(separator: ",", omittingEmptySubsequences: false)
        guard !query.isEmpty else { throw ValidationError("threat_ids", .required, "is required") }
        guard parts.count <= maxBatchDeleteIDs else {
            throw ValidationError("threat_ids", .tooManyItems, "must hold at most \(maxBatchDeleteIDs) ids")
        }
        var out: [EntityID] = []
        for part in parts {
            guard let id = EntityID(String(part)) else {
                throw ValidationError("threat_ids", .format, "must be a comma-separated list of UUIDs")
            }
            out.append(id)
        }
        return out
    }
}
