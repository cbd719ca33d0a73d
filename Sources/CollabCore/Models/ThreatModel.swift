/// A threat model's own fields. Its threats, documents, sources and diagrams are separate
/// entities; `json(threats:...)` renders them nested, as the spec's ThreatModel does.
public struct ThreatModel: Sendable, Hashable, JSONRepresentable {
    public var id: EntityID
    public var name: String
    public var description: String?
    /// The owner's identity key (email); always has owner powers (DESIGN §5).
    public var owner: String
    public var createdBy: String
    public var threatModelFramework: String
    public var issueURL: String?
    public var authorization: [Authorization]
    public var metadata: [Metadata]
    public var createdAt: Timestamp
    public var modifiedAt: Timestamp

    public init(
        id: EntityID, name: String, description: String? = nil, owner: String, createdBy: String,
        threatModelFramework: String = ThreatModelInput.defaultFramework, issueURL: String? = nil,
        authorization: [Authorization] = [], metadata: [Metadata] = [], createdAt: Timestamp,
        modifiedAt: Timestamp
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.owner = owner
        self.createdBy = createdBy
        self.threatModelFramework = threatModelFramework
        self.issueURL = issueURL
        self.authorization = authorization
        self.metadata = metadata
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
    }

    /// A new model created by `creator` (who becomes owner and gets an owner entry in
    /// `authorization`, so the list always names who may administer the model).
    public init(id: EntityID, creator: String, at time: Timestamp, input: ThreatModelInput) {
        self.init(
            id: id, name: input.name, description: input.description, owner: creator, createdBy: creator,
            threatModelFramework: input.threatModelFramework ?? ThreatModelInput.defaultFramework,
            issueURL: input.issueURL,
            authorization: AuthorizationList.ensuringOwnerEntry(creator, in: input.authorization ?? []),
            metadata: input.metadata ?? [], createdAt: time, modifiedAt: time)
    }

    /// The model after a PUT: absent optional fields are cleared; absent `authorization` and
    /// `metadata` are kept (they have their own endpoints and losing them by omission would lock
    /// collaborators out). A changed `owner` goes through `AuthorizationList.transferOwnership`.
    public func replacing(with input: ThreatModelInput, at time: Timestamp) -> ThreatModel {
        var m = self
        m.name = input.name
        m.description = input.description
        m.threatModelFramework = input.threatModelFramework ?? ThreatModelInput.defaultFramework
        m.issueURL = input.issueURL
        if let authorization = input.authorization { m.authorization = authorization }
        if let metadata = input.metadata { m.metadata = metadata }
        if let newOwner = input.owner, newOwner != owner {
            m.authorization = AuthorizationList.transferOwnership(
                from: owner, to: newOwner, in: m.authorization)
            m.owner = newOwner
        }
        m.modifiedAt = time
        return m
    }

    /// The model's own fields, without nested collections.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": id.json, "name": .string(name), "owner": .string(owner), "created_by": .string(createdBy),
            "threat_model_framework": .string(threatModelFramework), "authorization": authorization.json,
            "metadata": metadata.json, "created_at": createdAt.json, "modified_at": modifiedAt.json,
        ]
        if let description { o["description"] = .string(description) }
        if let issueURL { o["issue_url"] = .string(issueURL) }
        return .object(o)
    }

    /// The spec's ThreatModel with its nested collections.
    public func json(threats: [Threat], documents: [Document], sources: [Source], diagrams: [Diagram])
        -> JSONValue
    {
        guard case .object(var o) = json else { return json }
        o["threats"] = .array(threats.map(\.json))
        o["documents"] = .array(documents.map(\.json))
        o["sourceCode"] = .array(sources.map(\.json))
        o["diagrams"] = .array(diagrams.map(\.json))
        return .object(o)
    }

    /// Reads a model in its rendered form (stored snapshots); nested collections are ignored.
    public static func parse(_ json: JSONValue) throws(ValidationError) -> ThreatModel {
        let r = try ObjectReader(json)
        let id = try r.uuid("id", required: true)
        let created = try r.timestamp("created_at", required: true)
        let modified = try r.timestamp("modified_at", required: true)
        let createdBy = try r.string("created_by", required: true, maxLength: 256)
        let owner = try r.string("owner", required: true, minLength: 1, maxLength: 256)
        var writable = r.object
        for key in ThreatModelInput.readOnlyFields { writable[key] = nil }
        let input = try ThreatModelInput.parse(.object(writable), mode: .replace(existing: json))
        guard let id, let created, let modified, let createdBy, let owner else {
            throw ValidationError("", .required, "lacks a server field")
        }
        return ThreatModel(
            id: id, name: input.name, description: input.description, owner: owner, createdBy: createdBy,
            threatModelFramework: input.threatModelFramework ?? ThreatModelInput.defaultFramework,
            issueURL: input.issueURL, authorization: input.authorization ?? [],
            metadata: input.metadata ?? [],
            createdAt: created, modifiedAt: modified)
    }
}
