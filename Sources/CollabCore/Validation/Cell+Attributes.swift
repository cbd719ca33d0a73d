/// The spec's rules for the styling parts of cells: NodeAttrs, EdgeAttrs, EdgeLabel,
/// PortConfiguration and the `style` convenience objects. Members the spec does not describe are
/// allowed (X6 has many); described members must have the described type and bounds.
extension Cell {
    static let markerNames = ["classic", "block", "diamond", "circle"]
    static let portPositions = ["top", "right", "bottom", "left"]

    /// An optional member that, when present, must be an object.
    static func object(_ r: ObjectReader, _ key: String) throws(ValidationError) -> ObjectReader? {
        guard let v = try r.value(key) else { return nil }
        return try ObjectReader(v, pointer: r.path(key))
    }

    static func enumString(_ r: ObjectReader, _ key: String, _ allowed: [String], maxLength: Int? = nil)
        throws(ValidationError)
    {
        guard let s = try r.string(key, maxLength: maxLength) else { return }
        guard allowed.contains(s) else {
            throw ValidationError(
                r.path(key), .notInEnum, "must be one of \(allowed.joined(separator: ", "))")
        }
    }

    /// Text styling shared by NodeAttrs.text and EdgeLabel.attrs.text.
    static func validateText(_ t: ObjectReader) throws(ValidationError) {
        _ = try t.string("text", maxLength: 256)
        _ = try t.number("fontSize", minimum: 1)
        _ = try t.string("fill", maxLength: 32)
        _ = try t.string("fontFamily", maxLength: 64)
    }

    static func validateNodeAttrs(_ r: ObjectReader) throws(ValidationError) {
        guard let attrs = try object(r, "attrs") else { return }
        if let body = try object(attrs, "body") {
            _ = try body.string("fill", maxLength: 32)
            _ = try body.string("stroke", maxLength: 32)
            _ = try body.number("strokeWidth", minimum: 0)
            _ = try body.string("strokeDasharray", nullable: true, maxLength: 64)
        }
        if let text = try object(attrs, "text") { try validateText(text) }
    }

    static func validatePorts(_ r: ObjectReader) throws(ValidationError) {
        guard let ports = try object(r, "ports") else { return }
        if let groups = try object(ports, "groups") {
            for key in groups.object.keys.sorted() {
                guard let group = try object(groups, key) else { continue }
                try enumString(group, "position", portPositions)
            }
        }
        for (i, item) in (try ports.array("items") ?? []).enumerated() {
            let p = try ObjectReader(item, pointer: Pointer.join(ports.path("items"), i))
            _ = try p.string("id", required: true, maxLength: 64)
            _ = try p.string("group", required: true, maxLength: 32)
        }
    }

    /// The node and edge `style` convenience objects.
    static func validateStyle(_ r: ObjectReader, edge: Bool) throws(ValidationError) {
        guard let style = try object(r, "style") else { return }
        if !edge { _ = try style.string("fill", maxLength: 32) }
        _ = try style.string("stroke", maxLength: 32)
        _ = try style.number("strokeWidth", minimum: 0)
        if edge { _ = try style.string("strokeDasharray", maxLength: 64) }
        _ = try style.number("fontSize", minimum: 1)
        _ = try style.string("fontColor", maxLength: 32)
    }

    static func validateEdgeAttrs(_ r: ObjectReader) throws(ValidationError) {
        guard let attrs = try object(r, "attrs"), let line = try object(attrs, "line") else { return }
        _ = try line.string("stroke", maxLength: 32)
        _ = try line.number("strokeWidth", minimum: 0)
        _ = try line.string("strokeDasharray", nullable: true, maxLength: 64)
        for key in ["targetMarker", "sourceMarker"] {
            guard let marker = try object(line, key) else { continue }
            try enumString(marker, "name", markerNames, maxLength: 32)
            _ = try marker.number("size", minimum: 1)
        }
    }

    /// EdgeLabel: `position` in 0...1 and text styling.
    static func validateLabel(_ l: ObjectReader) throws(ValidationError) {
        _ = try l.number("position", minimum: 0, maximum: 1)
        if let attrs = try object(l, "attrs"), let text = try object(attrs, "text") { try validateText(text) }
    }
}
