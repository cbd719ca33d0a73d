/// One entry of `operation.cells`: add, update or remove one cell.
///
/// `data` is the cell for add and update (catalogue `CellPatchOperation`: required for those,
/// forbidden for remove). Decoding checks the shape of the entry only; whether it applies is the
/// engine's business (`DiagramEngine+Submit.swift`).
public struct CellOperation: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case add, update, remove
    }

    public var id: String
    public var kind: Kind
    public var data: JSONValue?

    public init(id: String, kind: Kind, data: JSONValue? = nil) {
        self.id = id
        self.kind = kind
        self.data = data
    }

    public static func add(_ cell: JSONValue) -> CellOperation {
        CellOperation(id: cell["id"]?.stringValue ?? "", kind: .add, data: cell)
    }

    public static func update(_ id: String, _ data: JSONValue) -> CellOperation {
        CellOperation(id: id, kind: .update, data: data)
    }

    public static func remove(_ id: String) -> CellOperation { CellOperation(id: id, kind: .remove) }

    public init(json: JSONValue, at position: Int) throws(CollabMessageError) {
        let field = "operation.cells[\(position)]"
        guard case .object(let o) = json else { throw .invalidField(field, "must be an object") }
        guard let id = o["id"]?.stringValue, !id.isEmpty else {
            throw .invalidField(field + ".id", "must be a non-empty string")
        }
        guard let name = o["operation"]?.stringValue else {
            throw .invalidField(field + ".operation", "must be add, update or remove")
        }
        guard let kind = Kind(rawValue: name) else { throw .invalidOperationType(name) }
        self.id = id
        self.kind = kind
        switch kind {
        case .add, .update:
            guard let data = o["data"], case .object = data else {
                throw .invalidField(field + ".data", "must be a cell object for \(name)")
            }
            // The cell may omit its id (it is the operation's); if it names one it must agree.
            if let inner = data["id"], inner != .string(id) {
                throw .invalidField(field + ".data.id", "must match the operation's id '\(id)'")
            }
            self.data = data
        case .remove:
            self.data = nil  // a remove carries no data; anything sent is ignored
        }
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["id": .string(id), "operation": .string(kind.rawValue)]
        if let data { o["data"] = data }
        return .object(o)
    }
}
