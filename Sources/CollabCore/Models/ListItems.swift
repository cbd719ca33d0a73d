/// The spec's TMListItem: a threat model's summary with the sizes of its collections.
public struct TMListItem: Sendable, Hashable, JSONRepresentable {
    public var model: ThreatModel
    public var documentCount: Int
    public var sourceCount: Int
    public var diagramCount: Int
    public var threatCount: Int

    public init(model: ThreatModel, documentCount: Int, sourceCount: Int, diagramCount: Int, threatCount: Int)
    {
        self.model = model
        self.documentCount = documentCount
        self.sourceCount = sourceCount
        self.diagramCount = diagramCount
        self.threatCount = threatCount
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "id": model.id.json, "name": .string(model.name), "owner": .string(model.owner),
            "created_by": .string(model.createdBy),
            "threat_model_framework": .string(model.threatModelFramework),
            "created_at": model.createdAt.json, "modified_at": model.modifiedAt.json,
            "document_count": .number(Double(documentCount)), "source_count": .number(Double(sourceCount)),
            "diagram_count": .number(Double(diagramCount)), "threat_count": .number(Double(threatCount)),
        ]
        if let description = model.description { o["description"] = .string(description) }
        if let issueURL = model.issueURL { o["issue_url"] = .string(issueURL) }
        return .object(o)
    }
}

/// The spec's DiagramListItem: id, name and type.
public struct DiagramListItem: Sendable, Hashable, JSONRepresentable {
    public var id: EntityID
    public var name: String
    public var type: Diagram.DiagramType

    public init(_ diagram: Diagram) {
        id = diagram.id
        name = diagram.name
        type = diagram.type
    }

    public var json: JSONValue {
        ["id": id.json, "name": .string(name), "type": .string(type.rawValue)]
    }
}
