import CollabCore

/// One cell change inside a `diagram_operation` (DESIGN §6): CollabCore's `CellOperation`, the
/// server's own wire type, so the load tool cannot drift from what the server encodes and decodes.
/// `add` and `update` carry the cell in `data`, `remove` carries only the id.
public typealias CellChange = CellOperation

extension CellOperation {
    /// An update that replaces the whole cell (its id taken from the cell).
    public static func update(_ cell: JSONValue) -> CellOperation {
        .update(cell["id"]?.stringValue ?? "", cell)
    }

    /// Decodes one entry of `operation.cells` with the server's rules; nil when malformed.
    init?(json: JSONValue) {
        guard let op = try? CellOperation(json: json, at: 0) else { return nil }
        self = op
    }

    /// Applies this change to a cell table the way a client must: `add`/`update` with a whole cell
    /// (one that names its `shape`) replaces it; a `data` without `shape` changes only the
    /// properties it names; `remove` deletes.
    public func apply(to cells: inout [String: JSONValue]) {
        switch kind {
        case .remove:
            cells[id] = nil
        case .add, .update:
            guard let data else { return }
            if data["shape"] == nil, let partial = data.objectValue, case .object(var existing)? = cells[id] {
                for (key, value) in partial { existing[key] = value }
                cells[id] = .object(existing)
            } else {
                cells[id] = data
            }
        }
    }
}
