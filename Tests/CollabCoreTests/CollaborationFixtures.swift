@testable import CollabCore

/// Small factories for collaboration tests: each states only what the test cares about.
enum Fixture {
    static let alice = CollabUser(userID: "alice-id", email: "alice@test.tmi", displayName: "Alice")
    static let bob = CollabUser(userID: "bob-id", email: "bob@test.tmi", displayName: "Bob")
    static let carol = CollabUser(userID: "carol-id", email: "carol@test.tmi")

    static func node(_ id: String, x: Double = 0, y: Double = 0, label: String = "") -> JSONValue {
        [
            "id": .string(id), "shape": "process", "x": .number(x), "y": .number(y), "width": 120,
            "height": 60, "attrs": ["text": ["text": .string(label)]],
        ]
    }

    static func edge(_ id: String, from source: String, to target: String) -> JSONValue {
        [
            "id": .string(id), "shape": "edge", "source": ["cell": .string(source)],
            "target": ["cell": .string(target)],
        ]
    }

    static func op(_ id: String, base: Int64? = nil, _ cells: CellOperation...) -> DiagramOperationMessage {
        DiagramOperationMessage(operationID: id, baseVector: base, cells: cells)
    }

    static func engine(_ cells: [JSONValue], revision: Int64 = 10, logCapacity: Int = 64) -> DiagramEngine {
        DiagramEngine(
            state: DiagramState(revision: revision, cells: cells),
            configuration: .init(logCapacity: logCapacity), validator: .none)
    }

    static func moved(_ cell: JSONValue, x: Double, y: Double) -> JSONValue {
        var c = cell
        c["x"] = .number(x)
        c["y"] = .number(y)
        return c
    }

    static func relabelled(_ cell: JSONValue, _ label: String) -> JSONValue {
        var c = cell
        c["attrs"] = ["text": ["text": .string(label)]]
        return c
    }
}

extension SubmitOutcome {
    var accepted: AcceptedOperation? {
        if case .accepted(let a) = self { return a }
        return nil
    }
    var rejection: OperationRejection? {
        if case .rejected(let r) = self { return r }
        return nil
    }
}
