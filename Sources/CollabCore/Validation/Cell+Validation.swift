/// The spec's rules for one cell (Cell, Node, Edge and their parts). Properties the spec does not
/// describe are allowed and kept; the described ones must have the described form.
extension Cell {
    public static let edgeShape = "edge"

    static func validate(_ r: ObjectReader) throws(ValidationError) -> (EntityID, Kind) {
        guard let id = try r.uuid("id", required: true) else {
            throw ValidationError(r.path("id"), .required, "is required")
        }
        guard let shape = try r.string("shape", required: true) else {
            throw ValidationError(r.path("shape"), .required, "is required")
        }
        _ = try r.number("zIndex", minimum: 0)
        _ = try r.bool("visible")
        try validateCommon(r)
        if shape == edgeShape {
            try validateEdge(r)
            return (id, .edge)
        }
        guard let nodeShape = NodeShape(rawValue: shape) else {
            let shapes = (NodeShape.allCases.map(\.rawValue) + [edgeShape]).joined(separator: ", ")
            throw ValidationError(r.path("shape"), .notInEnum, "must be one of \(shapes)")
        }
        try validateNode(r)
        return (id, .node(nodeShape))
    }

    /// `data` (with its reserved `_metadata`), `markup` and `tools`.
    static func validateCommon(_ r: ObjectReader) throws(ValidationError) {
        if let data = try r.value("data") {
            let d = try ObjectReader(data, pointer: r.path("data"))
            _ = try Metadata.parseList(d.object["_metadata"], pointer: d.path("_metadata"))
        }
        for (i, item) in (try r.array("markup") ?? []).enumerated() {
            _ = try ObjectReader(item, pointer: Pointer.join(r.path("markup"), i)).string(
                "tagName", required: true)
        }
        for (i, item) in (try r.array("tools") ?? []).enumerated() {
            _ = try ObjectReader(item, pointer: Pointer.join(r.path("tools"), i)).string(
                "name", required: true)
        }
    }

    /// Node geometry in either form: flat `x,y,width,height` (2025-09-01 spec) or nested
    /// `position{x,y}` and `size{width,height}` (2025-10-12 spec, X6 `toJSON`). Width is at least 40
    /// and height at least 30 in both forms.
    static func validateNode(_ r: ObjectReader) throws(ValidationError) {
        if let position = try r.value("position") {
            let p = try ObjectReader(position, pointer: r.path("position"))
            _ = try p.number("x", required: true)
            _ = try p.number("y", required: true)
        } else {
            _ = try r.number("x", required: true)
            _ = try r.number("y", required: true)
        }
        if let size = try r.value("size") {
            let s = try ObjectReader(size, pointer: r.path("size"))
            _ = try s.number("width", required: true, minimum: 40)
            _ = try s.number("height", required: true, minimum: 30)
        } else {
            _ = try r.number("width", required: true, minimum: 40)
            _ = try r.number("height", required: true, minimum: 30)
        }
        // Flat members sent beside the nested ones must still be well-formed.
        _ = try r.number("x")
        _ = try r.number("y")
        _ = try r.number("width", minimum: 40)
        _ = try r.number("height", minimum: 30)
        _ = try r.number("angle")
        _ = try r.uuid("parent", nullable: true)
        _ = try r.string("label", maxLength: 256)
        try validateNodeAttrs(r)
        try validatePorts(r)
        try validateStyle(r, edge: false)
    }

    static let routers = ["normal", "orth", "oneSide", "manhattan", "metro", "er"]
    static let connectors = ["normal", "rounded", "smooth", "jumpover"]

    static func validateEdge(_ r: ObjectReader) throws(ValidationError) {
        for end in ["source", "target"] {
            let t = try ObjectReader(try r.value(end, required: true) ?? .null, pointer: r.path(end))
            _ = try t.uuid("cell", required: true)
            _ = try t.string("port", nullable: true, maxLength: 64)
        }
        for (i, point) in (try r.array("vertices") ?? []).enumerated() {
            let p = try ObjectReader(point, pointer: Pointer.join(r.path("vertices"), i))
            _ = try p.number("x", required: true)
            _ = try p.number("y", required: true)
        }
        for (i, label) in (try r.array("labels") ?? []).enumerated() {
            try validateLabel(try ObjectReader(label, pointer: Pointer.join(r.path("labels"), i)))
        }
        if let label = try object(r, "defaultLabel") { try validateLabel(label) }
        try validateNamed(r, "router", allowed: routers)
        try validateNamed(r, "connector", allowed: connectors)
        _ = try r.string("label", maxLength: 256)
        try validateEdgeAttrs(r)
        try validateStyle(r, edge: true)
    }

    /// EdgeRouter / EdgeConnector: a built-in name, or an object whose `name` is one.
    static func validateNamed(_ r: ObjectReader, _ key: String, allowed: [String]) throws(ValidationError) {
        guard let v = try r.value(key) else { return }
        let (name, field) =
            v.objectValue != nil
            ? (
                try ObjectReader(v, pointer: r.path(key)).string("name", required: true),
                Pointer.join(r.path(key), "name")
            )
            : (v.stringValue, r.path(key))
        guard let name, allowed.contains(name) else {
            throw ValidationError(field, .notInEnum, "must be one of \(allowed.joined(separator: ", "))")
        }
    }
}
