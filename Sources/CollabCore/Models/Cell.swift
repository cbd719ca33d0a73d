/// One diagram cell (an X6 node or edge), kept as its JSON object so that every property —
/// including ones this server does not know — survives a round trip unchanged (DESIGN §1).
/// The id and shape are checked once at construction and cached.
public struct Cell: Sendable, Hashable, JSONRepresentable {
    public enum NodeShape: String, Sendable, Hashable, CaseIterable {
        case actor, process, store, securityBoundary = "security-boundary", textBox = "text-box"
    }

    public enum Kind: Sendable, Hashable {
        case node(NodeShape)
        case edge
    }

    /// The node's position and size, read from either accepted form.
    public struct Geometry: Sendable, Hashable {
        public var x, y, width, height: Double
    }

    /// The cell exactly as the client sent it.
    public let object: [String: JSONValue]
    public let id: EntityID
    public let kind: Kind

    /// Wraps a cell object, checking every rule of the spec (see `Cell+Validation.swift`).
    public init(_ json: JSONValue, pointer: String = "") throws(ValidationError) {
        let r = try ObjectReader(json, pointer: pointer)
        let (id, kind) = try Self.validate(r)
        self.object = r.object
        self.id = id
        self.kind = kind
    }

    public var json: JSONValue { .object(object) }
    public var shape: String { object["shape"]?.stringValue ?? "" }

    public var isEdge: Bool { kind == .edge }
    public var isNode: Bool { !isEdge }

    /// For an edge: the node ids its `source` and `target` name.
    public var sourceCellID: EntityID? { Self.terminalCell(object["source"]) }
    public var targetCellID: EntityID? { Self.terminalCell(object["target"]) }

    static func terminalCell(_ v: JSONValue?) -> EntityID? {
        v?["cell"]?.stringValue.flatMap(EntityID.init)
    }

    /// For a node: geometry from nested `position`/`size` (X6 `toJSON`) or flat `x,y,width,height`
    /// (the 2025-09 spec); the nested form wins when both are present.
    public var geometry: Geometry? {
        guard isNode else { return nil }
        let pos = object["position"]
        let size = object["size"]
        guard let x = pos?["x"]?.doubleValue ?? object["x"]?.doubleValue,
            let y = pos?["y"]?.doubleValue ?? object["y"]?.doubleValue,
            let w = size?["width"]?.doubleValue ?? object["width"]?.doubleValue,
            let h = size?["height"]?.doubleValue ?? object["height"]?.doubleValue
        else { return nil }
        return Geometry(x: x, y: y, width: w, height: h)
    }

    public enum GeometryForm: Sendable { case flat, nested }

    /// The same cell with its geometry written in one form only (for clients that want one).
    public func withGeometry(in form: GeometryForm) -> Cell {
        guard let g = geometry else { return self }
        var o = object
        for key in ["x", "y", "width", "height", "position", "size"] { o[key] = nil }
        switch form {
        case .flat:
            o["x"] = .number(g.x)
            o["y"] = .number(g.y)
            o["width"] = .number(g.width)
            o["height"] = .number(g.height)
        case .nested:
            o["position"] = ["x": .number(g.x), "y": .number(g.y)]
            o["size"] = ["width": .number(g.width), "height": .number(g.height)]
        }
        return Cell(trusted: o, id: id, kind: kind)
    }

    init(trusted object: [String: JSONValue], id: EntityID, kind: Kind) {
        self.object = object
        self.id = id
        self.kind = kind
    }
}
