import CollabCore
import Storage
import WireProtocol

/// Everything that differs between threats, documents, sources and diagrams; the routes
/// themselves are one generic mechanism (`ChildRoutes`).
public struct ChildKindSpec: Sendable {
    public var kind: ChildKind
    /// Path parameter name of one item (`threat_id`).
    public var parameter: String
    public var schema: any EntitySchema
    /// Schema for POST bodies when it differs (diagrams: `CreateDiagramRequest`).
    public var createSchema: (any EntitySchema)?
    /// Items carry `created_at`/`modified_at`.
    public var timestamps: Bool
    public var patchable: Bool
    public var bulkCreate: Bool
    public var bulkUpdateAndBatch: Bool
    /// Role needed to delete one item.
    public var deleteRole: Role
    /// A patch whose result breaks the rules is 422 rather than 400 (diagrams, DESIGN §1).
    public var invalidPatchResultIs422 = false
    /// Set for diagrams when live collaboration runs: writes to a diagram in a live session go
    /// through the session, and deleting one ends it.
    public var live: LiveDiagramHooks?
}

/// How the REST diagram routes reach live sessions (implemented by the collaboration feature).
public struct LiveDiagramHooks: Sendable {
    /// Whether a session is live for the diagram.
    public var isLive: @Sendable (_ diagramID: String) async -> Bool
    /// Applies the change from `old` to `new` cells as one operation by `user` in the live
    /// session (broadcast to every participant, journaled by the session); false when no
    /// session is live any more.
    public var applyCells:
        @Sendable (
            _ diagramID: String, _ old: [JSONValue], _ new: [JSONValue], _ user: AuthenticatedUser
        ) async throws(APIError) -> Bool
    /// Called after the diagram is deleted.
    public var deleted: @Sendable (_ diagramID: String) async -> Void

    public init(
        isLive: @escaping @Sendable (String) async -> Bool,
        applyCells:
            @escaping @Sendable (String, [JSONValue], [JSONValue], AuthenticatedUser) async throws(APIError)
            -> Bool,
        deleted: @escaping @Sendable (String) async -> Void
    ) {
        self.isLive = isLive
        self.applyCells = applyCells
        self.deleted = deleted
    }
}

/// `/threat_models/{threat_model_id}/<kind>[/{id}]` plus bulk and batch operations.
public struct ChildRoutes: RouteProvider {
    let store: ThreatModelStore
    let spec: ChildKindSpec
    let now: @Sendable () -> Double
    /// Maximum items in one bulk or batch request (the spec's maxItems).
    public static let maxBulk = 20
    public static let maxBatchPatch = 10

    public init(
        store: ThreatModelStore, spec: ChildKindSpec, now: @escaping @Sendable () -> Double = WallClock.now
    ) {
        self.store = store
        self.spec = spec
        self.now = now
    }

    var base: String { "/threat_models/{threat_model_id}/\(spec.kind.rawValue)" }
    var item: String { "\(base)/{\(spec.parameter)}" }

    public var routes: [Route] {
        var r = [
            Route("GET", base, handler: list),
            Route("POST", base, handler: create),
            Route("GET", item, handler: get),
            Route("PUT", item, handler: replace),
            Route("DELETE", item, handler: delete),
        ]
        if spec.patchable { r.append(Route("PATCH", item, handler: patch)) }
        if spec.bulkCreate { r.append(Route("POST", "\(base)/bulk", handler: bulkCreate)) }
        if spec.bulkUpdateAndBatch {
            r.append(Route("PUT", "\(base)/bulk", handler: bulkUpdate))
            r.append(Route("POST", "\(base)/batch/patch", handler: batchPatch))
            r.append(Route("DELETE", "\(base)/batch", handler: batchDelete))
        }
        return r
    }

    func render(_ record: ChildRecord, _ model: String) -> JSONValue {
        Rendering.child(spec.kind, record, model: model)
    }

    @Sendable func list(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let (limit, offset) = try ctx.pagination()
        let kind = spec.kind
        return .json(
            try store.read { s throws(APIError) in
                let c = try s.model(tm, for: user, needs: .reader).collection(kind)
                let page = c.ids.dropFirst(offset).prefix(limit).compactMap { c[$0] }
                if kind == .diagrams {
                    return .array(
                        page.map {
                            [
                                "id": $0.fields["id"] ?? .null, "name": $0.fields["name"] ?? "",
                                "type": $0.fields["type"] ?? "DFD-1.0.0",
                            ]
                        })
                }
                return [
                    kind.rawValue: .array(page.map { Rendering.child(kind, $0, model: tm) }),
                    "total_count": .number(Double(c.count)),
                ]
            })
    }

    @Sendable func get(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let id = try ctx.uuidParameter(spec.parameter)
        let kind = spec.kind
        return .json(
            try store.read { s throws(APIError) in
                let c = try s.model(tm, for: user, needs: .reader).collection(kind)
                guard let r = c[id] else { throw APIError.notFound("\(kind.rawValue) item \(id) not found") }
                return Rendering.child(kind, r, model: tm)
            })
    }

    /// Builds the stored record of a new item from a validated create body.
    func newItem(_ body: [String: JSONValue], stamp: String) throws(APIError) -> (
        String, [String: JSONValue], [(String, String)]
    ) {
        let schema = spec.createSchema ?? spec.schema
        let (input, metadata) = try validated { () throws(ValidationError) in try schema.parseCreate(body) }
        let id = UUIDText.random()
        var fields = input
        fields["id"] = .string(id)
        if spec.timestamps {
            fields["created_at"] = .string(stamp)
            fields["modified_at"] = .string(stamp)
        }
        if spec.kind == .diagrams, fields["cells"] == nil { fields["cells"] = .array([]) }
        return (id, fields, metadata ?? [])
    }

    @Sendable func create(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let body = try ctx.jsonObjectBody()
        let (rendered, id) = try await insert([body], tm: tm, user: user)
        var headers = HTTPHeaders()
        headers.add("Location", "/threat_models/\(tm)/\(spec.kind.rawValue)/\(id)")
        return .json(rendered[0], status: 201, headers: headers)
    }

    @Sendable func bulkCreate(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        var bodies: [[String: JSONValue]] = []
        for (i, item) in try ctx.jsonArrayBody(maxItems: Self.maxBulk).enumerated() {
            guard let o = item.objectValue else { throw APIError.badRequest("item \(i) must be an object") }
            bodies.append(o)
        }
        return .json(.array(try await insert(bodies, tm: tm, user: user).0), status: 201)
    }

    /// Creates every item or none.
    func insert(_ bodies: [[String: JSONValue]], tm: String, user: AuthenticatedUser) async throws(APIError)
        -> (
            [JSONValue], String
        )
    {
        let stamp = WallClock.format(now())
        let kind = spec.kind
        return try await store.write { s throws(APIError) in
            let record = try s.model(tm, for: user, needs: .writer)
            guard record.collection(kind).count + bodies.count <= 10_000 else {
                throw APIError(
                    status: 413, code: "too_many_items",
                    description: "a threat model holds at most 10000 \(kind.rawValue)")
            }
            var batch: [StoreMutation] = []
            var out: [JSONValue] = []
            var lastID = ""
            for (i, body) in bodies.enumerated() {
                let (id, fields, metadata) = try prefixed(i, bodies.count) { () throws(APIError) in
                    try newItem(body, stamp: stamp)
                }
                batch.append(.putChild(kind, model: tm, id: id, fields: fields))
                var meta = MetadataList()
                for (k, v) in metadata {
                    batch.append(.putMetadata(.child(kind, model: tm, id: id), key: k, value: v))
                    meta.set(k, v)
                }
                out.append(Rendering.child(kind, ChildRecord(fields: fields, metadata: meta), model: tm))
                lastID = id
            }
            batch.append(touch(record, stamp))
            return ((out, lastID), batch)
        }
    }

    @Sendable func replace(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let id = try ctx.uuidParameter(spec.parameter)
        let body = try ctx.jsonObjectBody()
        return .json(
            try await updateOne(id, tm: tm, user: user, patch: false) { @Sendable _ throws(APIError) in body }
        )
    }

    @Sendable func patch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let id = try ctx.uuidParameter(spec.parameter)
        let ops = try PatchRequest.parse(ctx.jsonBody())
        let readOnly = spec.schema.readOnlyFields
        let change: @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue] = {
            current throws(APIError) in
            try PatchRequest.apply(ops, to: current, readOnly: readOnly)
        }
        return .json(try await updateOne(id, tm: tm, user: user, patch: true, change))
    }

    /// One item's PUT or PATCH. For a diagram in a live session the cells change through the
    /// session (every participant sees it as an operation); the other fields change here.
    func updateOne(
        _ id: String, tm: String, user: AuthenticatedUser, patch: Bool,
        _ change: @escaping @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue]
    ) async throws(APIError) -> JSONValue {
        guard let live = spec.live, await live.isLive(id) else {
            return try await update([(id, change)], tm: tm, user: user, patch: patch)[0]
        }
        let held = KeptCells()
        _ = try await update([(id, change)], tm: tm, user: user, patch: patch, keepCells: held)
        if let (old, new) = held.value, old != new {
            if try await !live.applyCells(id, old, new, user) {
                // The session ended in between: store the cells directly.
                return try await update([(id, change)], tm: tm, user: user, patch: patch)[0]
            }
        }
        let kind = spec.kind
        return try store.read { s throws(APIError) in
            guard let r = s.models[tm]?.collection(kind)[id] else {
                throw APIError.notFound("\(id) not found")
            }
            return Rendering.child(kind, r, model: tm)
        }
    }

    @Sendable func bulkUpdate(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        var changes: [(String, @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue])] = []
        for (i, item) in try ctx.jsonArrayBody(maxItems: Self.maxBulk).enumerated() {
            guard var o = item.objectValue, let raw = o["id"]?.stringValue, let id = UUIDText.normalized(raw)
            else {
                throw APIError.invalidField("/\(i)/id", "is required and must be a UUID")
            }
            o["id"] = .string(id)
            let body = o
            changes.append((id, { @Sendable _ throws(APIError) in body }))
        }
        return .json(.array(try await update(changes, tm: tm, user: user, patch: false)))
    }

    @Sendable func batchPatch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let body = try ctx.jsonObjectBody()
        guard let patches = body["patches"]?.arrayValue, !patches.isEmpty else {
            throw APIError.badRequest("patches must be a non-empty array")
        }
        guard patches.count <= Self.maxBatchPatch else {
            throw APIError.badRequest("at most \(Self.maxBatchPatch) patches may be sent at once")
        }
        var changes: [(String, @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue])] = []
        for (i, p) in patches.enumerated() {
            guard let raw = p["\(spec.parameter)"]?.stringValue, let id = UUIDText.normalized(raw) else {
                throw APIError.invalidField(
                    "/patches/\(i)/\(spec.parameter)", "is required and must be a UUID")
            }
            let ops = try PatchRequest.parse(p["operations"] ?? .null)
            let readOnly = spec.schema.readOnlyFields
            changes.append(
                (
                    id,
                    { @Sendable current throws(APIError) in
                        try PatchRequest.apply(ops, to: current, readOnly: readOnly)
                    }
                ))
        }
        return .json(.array(try await update(changes, tm: tm, user: user, patch: true)))
    }

    /// Replaces (or patches) every listed item, or none: each `change` maps the rendered
    /// current item to the requested one, which is then validated as a replace.
    func update(
        _ changes: [(String, @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue])],
        tm: String, user: AuthenticatedUser, patch: Bool, keepCells: KeptCells? = nil
    ) async throws(APIError) -> [JSONValue] {
        let stamp = WallClock.format(now())
        let spec = self.spec
        return try await store.write { s throws(APIError) in
            let record = try s.model(tm, for: user, needs: .writer)
            let collection = record.collection(spec.kind)
            // Items changed earlier in this batch, so a later change of the same id builds on
            // them. An overlay, not a mutated copy of `collection`: that copy cost O(items in
            // the model) per request (benchmarks/rest.md).
            var changed: [String: ChildRecord] = [:]
            var batch: [StoreMutation] = []
            var out: [JSONValue] = []
            for (i, (id, change)) in changes.enumerated() {
                guard let existing = changed[id] ?? collection[id] else {
                    throw APIError.notFound("\(spec.kind.rawValue) item \(id) not found")
                }
                let current = Rendering.child(spec.kind, existing, model: tm).objectValue ?? [:]
                let body = try prefixed(i, changes.count) { () throws(APIError) in try change(current) }
                let (input, metadata) = try prefixed(i, changes.count) { () throws(APIError) in
                    do throws(ValidationError) {
                        return try spec.schema.parseReplace(body, current: current)
                    } catch {
                        let unprocessable = patch && spec.invalidPatchResultIs422 && error.code != .readOnly
                        throw APIError(error, status: unprocessable ? 422 : 400)
                    }
                }
                var fields = input
                for k in ["id", "created_at", "update_vector"] where existing.fields[k] != nil {
                    fields[k] = existing.fields[k]
                }
                if spec.timestamps { fields["modified_at"] = .string(stamp) }
                if spec.kind == .diagrams {
                    if fields["cells"] == nil { fields["cells"] = existing.fields["cells"] ?? .array([]) }
                    if let keepCells {
                        // Live session: the store keeps its cells; the session applies the new ones.
                        keepCells.value = (
                            existing.fields["cells"]?.arrayValue ?? [], fields["cells"]?.arrayValue ?? []
                        )
                        fields["cells"] = existing.fields["cells"]
                    } else if fields["cells"] != existing.fields["cells"] {
                        // Cells changed outside a session: a new revision, so a client resuming
                        // with an older base_vector resynchronises.
                        fields["update_vector"] = .number(
                            (existing.fields["update_vector"]?.doubleValue ?? 0) + 1)
                    }
                }
                var updated = ChildRecord(fields: fields, metadata: existing.metadata)
                batch.append(.putChild(spec.kind, model: tm, id: id, fields: fields))
                if let metadata {
                    let target = MetadataTarget.child(spec.kind, model: tm, id: id)
                    batch += MetadataBatch.replace(target, current: existing.metadata, with: metadata)
                    updated.metadata = MetadataList()
                    for (k, v) in metadata { updated.metadata.set(k, v) }
                }
                changed[id] = updated
                out.append(Rendering.child(spec.kind, updated, model: tm))
            }
            batch.append(touch(record, stamp))
            return (out, batch)
        }
    }

    @Sendable func delete(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let id = try ctx.uuidParameter(spec.parameter)
        _ = try await remove([id], tm: tm, user: user, role: spec.deleteRole)
        await spec.live?.deleted(id)
        return .empty()
    }

    @Sendable func batchDelete(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let tm = try ctx.uuidParameter("threat_model_id")
        let name = "\(spec.parameter)s"
        guard let raw = ctx.query[name], !raw.isEmpty else {
            throw APIError.badRequest("\(name) is required")
        }
        var ids: [String] = []
        for part in raw.split(separator: ",") {
            guard let id = UUIDText.normalized(String(part)) else { throw APIError.invalidID(name) }
            if !ids.contains(id) { ids.append(id) }
        }
        guard ids.count <= Self.maxBulk else {
            throw APIError.badRequest("at most \(Self.maxBulk) ids may be deleted at once")
        }
        let deleted = try await remove(ids, tm: tm, user: user, role: spec.deleteRole)
        return .json([
            "deleted_count": .number(Double(deleted.count)),
            "deleted_ids": .array(deleted.map { .string($0) }),
        ])
    }

    /// Deletes every listed item or none (404 if any is missing).
    func remove(_ ids: [String], tm: String, user: AuthenticatedUser, role: Role) async throws(APIError)
        -> [String]
    {
        let stamp = WallClock.format(now())
        let kind = spec.kind
        return try await store.write { s throws(APIError) in
            let record = try s.model(tm, for: user, needs: role)
            let c = record.collection(kind)
            for id in ids where c[id] == nil {
                throw APIError.notFound("\(kind.rawValue) item \(id) not found")
            }
            return (ids, ids.map { .deleteChild(kind, model: tm, id: $0) } + [touch(record, stamp)])
        }
    }

    /// The parent model's `modified_at` moves with every change under it.
    func touch(_ record: ThreatModelRecord, _ stamp: String) -> StoreMutation {
        var f = record.fields
        f["modified_at"] = .string(stamp)
        return .putModel(id: f["id"]?.stringValue ?? "", fields: f)
    }
}

/// The old and requested cells of a diagram update held back for a live session. Written once
/// inside the store's critical section, read after it.
final class KeptCells: @unchecked Sendable {
    // Safe: written inside `ThreatModelStore.commit`'s lock by the one task that created it, and
    // read by that same task after `write` returns; never shared with another task.
    var value: ([JSONValue], [JSONValue])?
}

/// Runs `body`, prefixing the error message with the item index when several items were sent.
func prefixed<T>(_ index: Int, _ count: Int, _ body: () throws(APIError) -> T) throws(APIError) -> T {
    do {
        return try body()
    } catch {
        guard count > 1 else { throw error }
        var e = error
        e.description = "item \(index): \(e.description)"
        throw e
    }
}
