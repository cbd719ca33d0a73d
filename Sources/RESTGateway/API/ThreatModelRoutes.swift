import CollabCore
import Storage
import WireProtocol

/// `/threat_models` and `/threat_models/{threat_model_id}`: list, create, read, replace, patch,
/// delete (endpoints.md "Threat Models / Basic CRUD").
public struct ThreatModelRoutes: RouteProvider {
    let store: ThreatModelStore
    let schema: any EntitySchema
    let now: @Sendable () -> Double
    /// Called after a model is deleted (collaboration ends its sessions).
    let onDelete: @Sendable (String) async -> Void
    /// Encoded models by store revision, for `GET /threat_models/{id}`.
    let renderings = EntityJSONCache()

    public init(
        store: ThreatModelStore, schema: any EntitySchema = ThreatModelSchema(),
        now: @escaping @Sendable () -> Double = WallClock.now,
        onDelete: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.store = store
        self.schema = schema
        self.now = now
        self.onDelete = onDelete
    }

    static let jsonHeaders = HTTPHeaders([("Content-Type", "application/json")])

    public var routes: [Route] {
        [
            Route("GET", "/threat_models", handler: list),
            Route("POST", "/threat_models", handler: create),
            Route("GET", "/threat_models/{threat_model_id}", handler: get),
            Route("PUT", "/threat_models/{threat_model_id}", handler: replace),
            Route("PATCH", "/threat_models/{threat_model_id}", handler: patch),
            Route("DELETE", "/threat_models/{threat_model_id}", handler: delete),
        ]
    }

    @Sendable func list(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let (limit, offset) = try ctx.pagination(defaultLimit: 20, maxLimit: 1000, clamping: true)
        let filter = try ThreatModelFilter(query: ctx.query)
        let page = store.read { state in
            let visible = state.models.values.filter { $0.role(of: user) != nil && filter.matches($0) }
            let sorted = filter.sort(visible)
            let slice = sorted.dropFirst(offset).prefix(limit)
            return (items: slice.map(Rendering.listItem), total: sorted.count)
        }
        let body: JSONValue = [
            "data": .array(page.items),
            "pagination": [
                "total": .number(Double(page.total)), "limit": .number(Double(limit)),
                "offset": .number(Double(offset)), "has_more": .bool(offset + page.items.count < page.total),
            ],
        ]
        return .json(body)
    }

    @Sendable func create(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let body = try ctx.jsonObjectBody()
        let (input, metadata) = try validated { () throws(ValidationError) in try schema.parseCreate(body) }
        let id = UUIDText.random()
        let stamp = WallClock.format(now())
        var fields = input
        fields["id"] = .string(id)
        fields["owner"] = .string(user.email)
        fields["created_by"] = .string(user.email)
        fields["created_at"] = .string(stamp)
        fields["modified_at"] = .string(stamp)
        if fields["authorization"] == nil { fields["authorization"] = .array([]) }
        if fields["threat_model_framework"] == nil {
            fields["threat_model_framework"] = .string(ThreatModelInput.defaultFramework)
        }
        let rendered = try await store.write { _ throws(APIError) in
            var batch: [StoreMutation] = [.putModel(id: id, fields: fields)]
            for (k, v) in metadata ?? [] { batch.append(.putMetadata(.model(id), key: k, value: v)) }
            var state = StoreState()
            for m in batch { state.apply(m) }
            return (Rendering.model(state.models[id]!), batch)
        }
        var headers = HTTPHeaders()
        headers.add("Location", "/threat_models/\(id)")
        return .json(rendered, status: 201, headers: headers)
    }

    @Sendable func get(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let id = try ctx.uuidParameter("threat_model_id")
        let body = try store.read(model: id) { s, revision throws(APIError) in
            try s.requireAccess(to: id, for: user, needs: .reader)
            // The record is there: `requireAccess` found it in this same state.
            return renderings.bytes(of: id, revision: revision) { s.models[id].map(Rendering.model) ?? .null }
        }
        return HTTPResponse(status: 200, headers: Self.jsonHeaders, body: body)
    }

    @Sendable func replace(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let id = try ctx.uuidParameter("threat_model_id")
        let body = try ctx.jsonObjectBody()
        return .json(try await update(id: id, user: user) { current throws(APIError) in body })
    }

    @Sendable func patch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let id = try ctx.uuidParameter("threat_model_id")
        let patch = try PatchRequest.parse(ctx.jsonBody())
        let readOnly = schema.readOnlyFields
        return .json(
            try await update(id: id, user: user) { current throws(APIError) in
                try PatchRequest.apply(patch, to: current, readOnly: readOnly)
            })
    }

    /// Replace and patch share this: `makeBody` turns the rendered current model into the
    /// requested one, which is then validated as a replace (read-only fields must be unchanged).
    func update(
        id: String, user: AuthenticatedUser,
        makeBody: @Sendable ([String: JSONValue]) throws(APIError) -> [String: JSONValue]
    ) async throws(APIError) -> JSONValue {
        let stamp = WallClock.format(now())
        return try await store.write { state throws(APIError) in
            let record = try state.model(id, for: user, needs: .writer)
            let current = Rendering.model(record).objectValue ?? [:]
            let body = try makeBody(current)
            let (input, metadata) = try validated { () throws(ValidationError) in
                try schema.parseReplace(body, current: current)
            }
            var fields = record.fields
            for k in Ownership.writableFields { fields[k] = input[k] }
            if let auth = input["authorization"] { fields["authorization"] = auth }
            if body["owner"] != nil, let owner = input["owner"] { fields["owner"] = owner }
            try Ownership.checkOwnershipChange(
                from: record.fields, to: &fields, by: user, record: record)
            fields["modified_at"] = .string(stamp)
            if fields["threat_model_framework"] == nil {
                fields["threat_model_framework"] = .string(ThreatModelInput.defaultFramework)
            }
            var batch: [StoreMutation] = [.putModel(id: id, fields: fields)]
            if let metadata {
                batch += MetadataBatch.replace(.model(id), current: record.metadata, with: metadata)
            }
            var after = record
            after.fields = fields
            if let metadata {
                after.metadata = MetadataList()
                for (k, v) in metadata { after.metadata.set(k, v) }
            }
            return (Rendering.model(after), batch)
        }
    }

    @Sendable func delete(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let id = try ctx.uuidParameter("threat_model_id")
        try await store.write { state throws(APIError) in
            _ = try state.model(id, for: user, needs: .owner)
            return ((), [.deleteModel(id: id)])
        }
        await onDelete(id)
        return .empty()
    }
}

/// Metadata batch helpers shared by every target.
enum MetadataBatch {
    /// Mutations that make `current` equal to `entries` (in order).
    static func replace(_ target: MetadataTarget, current: MetadataList, with entries: [(String, String)])
        -> [StoreMutation]
    {
        let keep = Set(entries.map(\.0))
        var batch: [StoreMutation] = current.keys.filter { !keep.contains($0) }.map {
            .deleteMetadata(target, key: $0)
        }
        for (k, v) in entries where current[k] != v { batch.append(.putMetadata(target, key: k, value: v)) }
        return batch
    }
}
