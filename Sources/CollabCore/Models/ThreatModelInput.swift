/// The client-writable fields of a threat model (the spec's ThreatModelInput, checked against
/// ThreatModelBase's rules so that what is stored also renders as a valid ThreatModel).
public struct ThreatModelInput: Sendable, Hashable {
    public static let defaultFramework = "STRIDE"

    public var name: String
    public var description: String?
    public var threatModelFramework: String?
    public var issueURL: String?
    /// nil when the body has no `authorization` (see `ThreatModel.replacing`).
    public var authorization: [Authorization]?
    public var metadata: [Metadata]?
    /// Only in a replace body: the owner may be handed over (the handler checks the caller's role).
    public var owner: String?

    public init(
        name: String, description: String? = nil, threatModelFramework: String? = nil,
        issueURL: String? = nil,
        authorization: [Authorization]? = nil, metadata: [Metadata]? = nil, owner: String? = nil
    ) {
        self.name = name
        self.description = description
        self.threatModelFramework = threatModelFramework
        self.issueURL = issueURL
        self.authorization = authorization
        self.metadata = metadata
        self.owner = owner
    }

    /// Server-owned fields, including the nested collections, which have their own endpoints.
    public static let readOnlyFields = [
        "id", "created_at", "modified_at", "created_by", "documents", "sourceCode", "diagrams", "threats",
    ]

    /// Parses a POST (`.create`: `owner` is also read-only, DESIGN §1) or PUT body. For
    /// `.replace`, `existing` must be the model rendered with its nested collections, so that an
    /// echoed `threats` array compares equal.
    public static func parse(_ json: JSONValue, mode: InputMode) throws(ValidationError) -> ThreatModelInput {
        var readOnly = readOnlyFields
        if mode == .create { readOnly.append("owner") }
        let r = try ObjectReader(json).checkingReadOnly(readOnly, mode: mode)
        let name = try r.string(
            "name", required: true, minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        let description = try r.string(
            "description", nullable: true, maxLength: 1024, pattern: .noAngleBrackets)
        let framework = try r.string("threat_model_framework")
        let issueURL = try r.uri("issue_url", nullable: true)
        let authorization = try r.value("authorization").map { v throws(ValidationError) in
            try AuthorizationList.parse(v, pointer: r.path("authorization"))
        }
        let metadata = try Metadata.parseList(r.object["metadata"], pointer: r.path("metadata"))
        let owner = try r.string("owner", minLength: 1, maxLength: 256, pattern: .noMarkupOrQuotes)
        return ThreatModelInput(
            name: name ?? "", description: description, threatModelFramework: framework, issueURL: issueURL,
            authorization: authorization, metadata: metadata, owner: owner)
    }
}
