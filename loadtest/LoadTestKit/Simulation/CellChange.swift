import CollabCore

/// One cell change inside a `diagram_operation` (DESIGN §6): `add` and `update` carry the cell in
/// `data`, `remove` carries only the id.
public struct CellChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case add, update, remove }

    public var id: String
    public var kind: Kind
    public var data: JSONValue?

    public init(id: String, kind: Kind, data: JSONValue? = nil) {
        self.id = id
        self.kind = kind
        self.data = data
    }

    public static func add(_ cell: JSONValue) -> CellChange {
        CellChange(id: cell["id"]?.stringValue ?? "", kind: .add, data: cell)
    }

    public static func update(_ cell: JSONValue) -> CellChange {
        CellChange(id: cell["id"]?.stringValue ?? "", kind: .update, data: cell)
    }

    public static func remove(_ id: String) -> CellChange { CellChange(id: id, kind: .remove) }

    var json: JSONValue {
        var o: [String: JSONValue] = ["id": .string(id), "operation": .string(kind.rawValue)]
        if let data, kind != .remove { o["data"] = data }
        return .object(o)
    }

    init?(json: JSONValue) {
        guard let id = json["id"]?.stringValue, let kindText = json["operation"]?.stringValue,
            let kind = Kind(rawValue: kindText)
        else { return nil }
        self.init(id: id, kind: kind, data: json["data"])
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
