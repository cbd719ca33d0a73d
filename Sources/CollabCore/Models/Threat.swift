/// A threat within a threat model: the writable fields plus the server-owned ones.
@dynamicMemberLookup
public struct Threat: Sendable, Hashable, JSONRepresentable {
    public var id: EntityID
    public var threatModelID: EntityID
    public var createdAt: Timestamp
    public var modifiedAt: Timestamp
    public var input: ThreatInput

    public init(
        id: EntityID, threatModelID: EntityID, createdAt: Timestamp, modifiedAt: Timestamp, input: ThreatInput
    ) {
        self.id = id
        self.threatModelID = threatModelID
        self.createdAt = createdAt
        self.modifiedAt = modifiedAt
        self.input = input
        self.input.metadata = input.metadata ?? []
    }

    /// The entity after a PUT: `input` replaces the writable fields, except that an absent
    /// `metadata` keeps the stored entries (they have their own endpoints).
    public func replacing(with input: ThreatInput, at time: Timestamp) -> Threat {
        var next = self
        next.input = input
        next.input.metadata = input.metadata ?? self.input.metadata
        next.modifiedAt = time
        return next
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<ThreatInput, T>) -> T {
        get { input[keyPath: keyPath] }
        set { input[keyPath: keyPath] = newValue }
    }

    /// The spec's Threat.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": id.json, "threat_model_id": threatModelID.json, "created_at": createdAt.json,
            "modified_at": modifiedAt.json,
        ]
        input.write(to: &o)
        return .object(o)
    }

    /// Reads a threat in its rendered form (stored snapshots; the server fields are required).
    public static func parse(_ json: JSONValue, pointer: String = "") throws(ValidationError) -> Threat {
        let r = try ObjectReader(json, pointer: pointer)
        let id = try r.uuid("id", required: true)
        let modelID = try r.uuid("threat_model_id", required: true)
        let created = try r.timestamp("created_at", required: true)
        let modified = try r.timestamp("modified_at", required: true)
        let input = try ThreatInput.parse(json, mode: .replace(existing: json), pointer: pointer)
        guard let id, let modelID, let created, let modified else {
            throw ValidationError(pointer, .required, "lacks a server field")
        }
        return Threat(id: id, threatModelID: modelID, createdAt: created, modifiedAt: modified, input: input)
    }
}
