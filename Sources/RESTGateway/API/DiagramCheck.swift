import CollabCore

/// Whole-diagram rules: every cell has a unique UUID `id` and a known `shape`; nodes have
/// geometry (flat `x,y,width,height` or nested `position`/`size`); edges connect existing nodes.
public enum DiagramCheck {
    public static let maxCells = 10_000
    public static let nodeShapes: Set<String> = [
        "actor", "process", "store", "security-boundary", "text-box",
    ]

    /// The first violation in a diagram's fields, or nil when it is valid.
    public static func firstProblem(_ fields: [String: JSONValue]) -> String? {
        guard let cells = fields["cells"]?.arrayValue else { return "cells must be an array" }
        guard cells.count <= maxCells else { return "a diagram holds at most \(maxCells) cells" }
        var nodes = Set<String>()
        var ids = Set<String>()
        for (i, cell) in cells.enumerated() {
            guard cell.objectValue != nil else { return "/cells/\(i) must be an object" }
            guard let raw = cell["id"]?.stringValue, let id = UUIDText.normalized(raw) else {
                return "/cells/\(i)/id must be a UUID"
            }
            guard ids.insert(id).inserted else { return "/cells/\(i)/id \(raw) is used twice" }
            guard let shape = cell["shape"]?.stringValue else { return "/cells/\(i)/shape is required" }
            if nodeShapes.contains(shape) {
                nodes.insert(id)
            } else if shape != "edge" {
                return "/cells/\(i)/shape \(shape) is not a DFD shape"
            }
        }
        for (i, cell) in cells.enumerated() where cell["shape"]?.stringValue == "edge" {
            for end in ["source", "target"] {
                guard let ref = endpoint(cell[end]) else { return "/cells/\(i)/\(end) must name a node cell" }
                guard nodes.contains(ref) else { return "/cells/\(i)/\(end) refers to missing node \(ref)" }
            }
        }
        return nil
    }

    /// The node id an edge terminal refers to: `{"cell": id, ...}` or a bare id string.
    static func endpoint(_ v: JSONValue?) -> String? {
        if let s = v?.stringValue { return UUIDText.normalized(s) }
        return v?["cell"]?.stringValue.flatMap(UUIDText.normalized)
    }
}
