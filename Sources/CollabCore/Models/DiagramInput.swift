/// The body of `POST .../diagrams` (the spec's CreateDiagramRequest: `name` and `type` only).
public struct CreateDiagramRequest: Sendable, Hashable {
    public var name: String
    public var type: Diagram.DiagramType

    public init(name: String, type: Diagram.DiagramType = .dfd) {
        self.name = name
        self.type = type
    }

    /// `additionalProperties: false`: read-only fields are refused as such, anything else unknown
    /// as an unknown field.
    public static func parse(_ json: JSONValue) throws(ValidationError) -> CreateDiagramRequest {
        let r = try ObjectReader(json).checkingReadOnly(DiagramInput.readOnlyFields, mode: .create)
        try r.rejectUnknown(allowed: ["name", "type"])
        let name = try r.string("name", required: true, maxLength: 256)
        let type = try r.enumValue("type", Diagram.DiagramType.self, required: true)
        return CreateDiagramRequest(name: name ?? "", type: type ?? .dfd)
    }
}

/// The writable fields of a diagram in a PUT body, or in the result of a PATCH.
public struct DiagramInput: Sendable, Hashable {
    public var name: String
    public var type: Diagram.DiagramType
    public var cells: [Cell]
    public var metadata: [Metadata]?
    public var image: Diagram.Image?

    public init(
        name: String, type: Diagram.DiagramType = .dfd, cells: [Cell], metadata: [Metadata]? = nil,
        image: Diagram.Image? = nil
    ) {
        self.name = name
        self.type = type
        self.cells = cells
        self.metadata = metadata
        self.image = image
    }

    public static let readOnlyFields = ["id", "created_at", "modified_at", "update_vector"]

    /// Parses and fully validates a diagram body: every cell on its own, then the cells together
    /// (unique ids, edges that join existing nodes). For a PATCH, apply the patch to the rendered
    /// diagram and parse the result with `.replace(existing:)`; a `.readOnly` error is then a 400
    /// and any other error a 422 (DESIGN §1).
    public static func parse(_ json: JSONValue, mode: InputMode, pointer: String = "") throws(ValidationError)
        -> DiagramInput
    {
        let r = try ObjectReader(json, pointer: pointer).checkingReadOnly(readOnlyFields, mode: mode)
        let name = try r.string("name", required: true, maxLength: 256)
        let type = try r.enumValue("type", Diagram.DiagramType.self, required: true)
        let cellsJSON = try r.array("cells", required: true, maxItems: DiagramRules.maxCells) ?? []
        let cells = try DiagramRules.parseCells(cellsJSON, pointer: r.path("cells"))
        let metadata = try Metadata.parseList(r.object["metadata"], pointer: r.path("metadata"))
        let image = try r.value("image", nullable: true).map { v throws(ValidationError) in
            try Diagram.Image.parse(v, pointer: r.path("image"))
        }
        return DiagramInput(
            name: name ?? "", type: type ?? .dfd, cells: cells, metadata: metadata, image: image)
    }
}
