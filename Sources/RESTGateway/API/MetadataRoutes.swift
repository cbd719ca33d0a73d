import CollabCore
import Storage
import WireProtocol

/// `.../metadata`, `.../metadata/{key}` and `.../metadata/bulk` for a threat model and each of
/// its children: one mechanism for every target.
public struct MetadataRoutes: RouteProvider {
    let store: ThreatModelStore
    /// nil: metadata of the threat model itself; else the child kind and its id parameter.
    let child: (kind: ChildKind, parameter: String)?
    let now: @Sendable () -> Double

    public init(
        store: ThreatModelStore, child: (kind: ChildKind, parameter: String)?,
        now: @escaping @Sendable () -> Double = WallClock.now
    ) {
        self.store = store
        self.child = child
        self.now = now
    }

    var base: String {
        guard let child else { return "/threat_models/{threat_model_id}/metadata" }
        return "/threat_models/{threat_model_id}/\(child.kind.rawValue)/{\(child.parameter)}/metadata"
    }

    public var routes: [Route] {
        [
            Route("GET", base, handler: list),
            Route("POST", base, handler: create),
            Route("POST", "\(base)/bulk", handler: bulk),
            Route("GET", "\(base)/{key}", handler: get),
            Route("PUT", "\(base)/{key}", handler: put),
            Route("DELETE", "\(base)/{key}", handler: delete),
        ]
    }

    func target(_ ctx: RequestContext) throws(APIError) -> MetadataTarget {
        let tm = try ctx.uuidParameter("threat_model_id")
        guard let child else { return .model(tm) }
        return .child(child.kind, model: tm, id: try ctx.uuidParameter(child.parameter))
    }

    /// The key of a GET or DELETE: any text. One that breaks the key rules cannot have been
    /// stored, so it is simply not found (404 after the access check); these endpoints declare
    /// no 400 and the spec's `key` parameter is any string of at most 255 characters.
    func existingKey(_ ctx: RequestContext) -> String { ctx.pathParameters["key"] ?? "" }

    /// The key of a PUT, which may create it: it must follow the key rules (400 otherwise).
    func key(_ ctx: RequestContext) throws(APIError) -> String {
        let key = ctx.pathParameters["key"] ?? ""
        guard Metadata.isValidKey(key) else {
            throw APIError.badRequest(
                "the metadata key must be 1-256 characters of letters, digits and _ . / : -")
        }
        return key
    }

    /// The target's metadata after access checks (404 for a missing model or child).
    static func existing(_ s: StoreState, _ t: MetadataTarget, _ user: AuthenticatedUser, _ role: Role)
        throws(APIError) -> (ThreatModelRecord, MetadataList)
    {
        let record = try s.model(t.modelID, for: user, needs: role)
        guard let list = s.metadata(of: t) else {
            throw APIError.notFound("the metadata owner does not exist")
        }
        return (record, list)
    }

    @Sendable func list(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        return .json(
            try store.read { s throws(APIError) in try Self.existing(s, t, user, .reader).1.json })
    }

    @Sendable func get(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        let key = existingKey(ctx)
        return .json(
            try store.read { s throws(APIError) in
                guard let v = try Self.existing(s, t, user, .reader).1[key] else {
                    throw APIError.notFound("metadata key \(key) not found")
                }
                return ["key": .string(key), "value": .string(v)]
            })
    }

    @Sendable func create(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        let body = try ctx.jsonBody()
        let entry = try validated { () throws(ValidationError) in try Metadata.parse(body) }
        let out = try await set([(entry.key, entry.value)], t, user)
        var headers = HTTPHeaders()
        headers.add("Location", location(t, key: entry.key))
        return .json(out[0], status: 201, headers: headers)
    }

    /// The created entry's path, as every other create sends (DESIGN §1). A key may hold `/`, so
    /// it is percent-encoded as one path segment (RFC 3986 §3.3): `GET` on the header's value
    /// reaches the same entry.
    func location(_ t: MetadataTarget, key: String) -> String {
        let owner: String
        switch t {
        case .model(let m): owner = "/threat_models/\(m)"
        case .child(let kind, let m, let id): owner = "/threat_models/\(m)/\(kind.rawValue)/\(id)"
        }
        return "\(owner)/metadata/\(PercentDecoding.encodeSegment(key))"
    }

    @Sendable func bulk(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        let items = JSONValue.array(try ctx.jsonArrayBody(maxItems: 20))
        let list = try validated { () throws(ValidationError) in try Metadata.parseList(items, pointer: "") }
        let entries = (list ?? []).map { ($0.key, $0.value) }
        return .json(.array(try await set(entries, t, user)), status: 201)
    }

    @Sendable func put(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        let key = try key(ctx)
        var body = try ctx.jsonObjectBody()
        if let k = body.removeValue(forKey: "key"), k.stringValue != key {
            throw APIError.invalidField("/key", "must match the key in the path")
        }
        let object = JSONValue.object(body)
        let value = try validated { () throws(ValidationError) in try Metadata.parseValueBody(object) }
        return .json(try await set([(key, value)], t, user)[0])
    }

    /// Sets (inserts or replaces) every entry, or none.
    func set(_ entries: [(String, String)], _ t: MetadataTarget, _ user: AuthenticatedUser)
        async throws(APIError)
        -> [JSONValue]
    {
        let stamp = WallClock.format(now())
        return try await store.write { s throws(APIError) in
            let (record, list) = try Self.existing(s, t, user, .writer)
            let added = entries.filter { list[$0.0] == nil }.count
            guard list.count + added <= Metadata.maxEntries else {
                throw APIError.badRequest("at most \(Metadata.maxEntries) metadata entries are allowed")
            }
            var batch = entries.map { StoreMutation.putMetadata(t, key: $0.0, value: $0.1) }
            batch.append(Self.touch(record, stamp))
            return (entries.map { ["key": .string($0.0), "value": .string($0.1)] }, batch)
        }
    }

    @Sendable func delete(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try target(ctx)
        let key = existingKey(ctx)
        let stamp = WallClock.format(now())
        try await store.write { s throws(APIError) in
            let (record, list) = try Self.existing(s, t, user, .writer)
            guard list[key] != nil else { throw APIError.notFound("metadata key \(key) not found") }
            return ((), [.deleteMetadata(t, key: key), Self.touch(record, stamp)])
        }
        return .empty()
    }

    static func touch(_ record: ThreatModelRecord, _ stamp: String) -> StoreMutation {
        var f = record.fields
        f["modified_at"] = .string(stamp)
        return .putModel(id: f["id"]?.stringValue ?? "", fields: f)
    }
}
