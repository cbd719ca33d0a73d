extension DiagramState {
    /// The cell operations that turn this state's cells into `target` (a REST `PUT` or `PATCH`
    /// result of the whole cell list), so a write made outside the WebSocket reaches a live session
    /// as one ordinary operation (DESIGN §6: "REST writes go through the session"). Removals come
    /// first, then adds and whole-cell updates in `target`'s order; unchanged cells are left out.
    /// Cells of `target` without a string id are skipped (REST validation has rejected them).
    public func operations(toReach target: [JSONValue]) -> [CellOperation] {
        var wanted: Set<String> = []
        var writes: [CellOperation] = []
        for cell in target {
            guard let id = cell["id"]?.stringValue, wanted.insert(id).inserted else { continue }
            if let current = self[id] {
                if current != cell { writes.append(.update(id, cell)) }
            } else {
                writes.append(CellOperation(id: id, kind: .add, data: cell))
            }
        }
        let removals = cellIDs.filter { !wanted.contains($0) }.map(CellOperation.remove)
        return removals + writes
    }
}
