/// The client-writable fields of a threat (the spec's ThreatInput / ThreatBase).
public struct ThreatInput: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, CaseIterable {
        case unknown = "Unknown", none = "None", low = "Low", medium = "Medium", high = "High"
        case critical = "Critical"
    }

    public var name: String
    public var description: String?
    public var mitigation: String?
    public var diagramID: EntityID?
    public var cellID: EntityID?
    public var severity: Severity
    public var score: Double?
    public var priority: String
    public var mitigated: Bool
    public var status: String
    public var threatType: String
    public var issueURL: String?
    public var metadata: [Metadata]?

    public init(
        name: String, description: String? = nil, mitigation: String? = nil, diagramID: EntityID? = nil,
        cellID: EntityID? = nil, severity: Severity, score: Double? = nil, priority: String, mitigated: Bool,
        status: String, threatType: String, issueURL: String? = nil, metadata: [Metadata]? = nil
    ) {
        self.name = name
        self.description = description
        self.mitigation = mitigation
        self.diagramID = diagramID
        self.cellID = cellID
        self.severity = severity
        self.score = score
        self.priority = priority
        self.mitigated = mitigated
        self.status = status
        self.threatType = threatType
        self.issueURL = issueURL
        self.metadata = metadata
    }

    /// Fields the server owns; see `InputMode` for what their presence in a body means.
    public static let readOnlyFields = ["id", "threat_model_id", "created_at", "modified_at"]

    /// Parses a POST/PUT body (or one item of a bulk body, with its `pointer`).
    public static func parse(_ json: JSONValue, mode: InputMode, pointer: String = "") throws(ValidationError)
        -> ThreatInput
    {
        let r = try ObjectReader(json, pointer: pointer).checkingReadOnly(readOnlyFields, mode: mode)
        let name = try r.string("name", required: true, maxLength: 256)
        let description = try r.string("description", maxLength: 1024)
        let mitigation = try r.string("mitigation", maxLength: 1024)
        let diagramID = try r.uuid("diagram_id", nullable: true)
        let cellID = try r.uuid("cell_id", nullable: true)
        let severity = try r.enumValue("severity", Severity.self, required: true)
        let score = try r.number("score", minimum: 0, maximum: 10)
        let priority = try r.string("priority", required: true, maxLength: 16)
        let mitigated = try r.bool("mitigated", required: true)
        let status = try r.string("status", required: true, maxLength: 256)
        let threatType = try r.string("threat_type", required: true, maxLength: 256)
        let issueURL = try r.uri("issue_url")
        let metadata = try Metadata.parseList(r.object["metadata"], pointer: r.path("metadata"))
        return ThreatInput(
            name: name ?? "", description: description, mitigation: mitigation, diagramID: diagramID,
            cellID: cellID, severity: severity ?? .unknown, score: score, priority: priority ?? "",
            mitigated: mitigated ?? false, status: status ?? "", threatType: threatType ?? "",
            issueURL: issueURL,
            metadata: metadata)
    }

    /// The writable fields as JSON members (absent optionals omitted, `metadata` always an array).
    func write(to o: inout [String: JSONValue]) {
        o["name"] = .string(name)
        if let description { o["description"] = .string(description) }
        if let mitigation { o["mitigation"] = .string(mitigation) }
        if let diagramID { o["diagram_id"] = diagramID.json }
        if let cellID { o["cell_id"] = cellID.json }
        o["severity"] = .string(severity.rawValue)
        if let score { o["score"] = .number(score) }
        o["priority"] = .string(priority)
        o["mitigated"] = .bool(mitigated)
        o["status"] = .string(status)
        o["threat_type"] = .string(threatType)
        if let issueURL { o["issue_url"] = .string(issueURL) }
        o["metadata"] = (metadata ?? []).json
    }
}
