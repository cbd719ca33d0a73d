/// Rules over a diagram's cells taken together.
public enum DiagramRules {
    /// Most cells one diagram may hold (bounds memory and the cost of one validation).
    public static let maxCells = 10_000

    /// Parses every cell, then checks them together; throws the first violation.
    public static func parseCells(_ items: [JSONValue], pointer: String = "/cells") throws(ValidationError)
        -> [Cell]
    {
        var cells: [Cell] = []
        cells.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            cells.append(try Cell(item, pointer: Pointer.join(pointer, i)))
        }
        if let violation = firstViolation(cells, pointer: pointer) { throw violation }
        return cells
    }

    /// The first cross-cell violation: a cell id used twice (ids compare case-insensitively), or
    /// an edge whose `source`/`target` is not a node cell of this diagram. nil when consistent.
    public static func firstViolation(_ cells: [Cell], pointer: String = "/cells") -> ValidationError? {
        var nodes = Set<EntityID>()
        var ids = Set<EntityID>()
        for (i, cell) in cells.enumerated() {
            guard ids.insert(cell.id).inserted else {
                return ValidationError(
                    Pointer.join(Pointer.join(pointer, i), "id"), .duplicate, "repeats the cell id \(cell.id)"
                )
            }
            if cell.isNode { nodes.insert(cell.id) }
        }
        for (i, cell) in cells.enumerated() where cell.isEdge {
            for (end, ref) in [("source", cell.sourceCellID), ("target", cell.targetCellID)] {
                guard let ref, nodes.contains(ref) else {
                    let field = Pointer.join(Pointer.join(Pointer.join(pointer, i), end), "cell")
                    return ValidationError(
                        field, .danglingReference, "does not name a node cell of this diagram")
                }
            }
        }
        return nil
    }

    /// Validates a whole diagram document (e.g. a patched one) without building a model; nil when
    /// valid. Convenience for the PATCH 422 check.
    public static func firstViolation(inDiagram json: JSONValue, existing: JSONValue) -> ValidationError? {
        do throws(ValidationError) {
            _ = try DiagramInput.parse(json, mode: .replace(existing: existing))
            return nil
        } catch {
            return error
        }
    }
}
