import CollabCore

@testable import SessionActors

/// Parses each broadcast once per schedule: every client gets the same `SharedMessage` object (a
/// broadcast is encoded once), so its bytes need decoding only once.
final class ParseCache {
    private var parsed: [ObjectIdentifier: (SharedMessage, JSONValue?)] = [:]

    func json(_ message: SharedMessage) -> JSONValue? {
        if let hit = parsed[ObjectIdentifier(message)] { return hit.1 }
        let value = try? JSONValue.parse(message.bytes)
        parsed[ObjectIdentifier(message)] = (message, value)  // keeps the message alive: ids stay unique
        return value
    }
}

/// A client following DESIGN §6's algorithm: apply server messages in order by replacing or
/// removing whole cells, keep its own unacknowledged operations pending, and draw its local view
/// as the confirmed state with those pending operations re-applied on top.
struct SimulatedClient {
    let index: Int
    let user: CollabUser
    var connectionID: String
    var outbox: MemoryOutbox
    /// How many of the outbox's messages this client has processed (the rest are "in flight").
    var consumed = 0
    var confirmed = DiagramState()
    var pending: [(id: String, cells: [CellOperation])] = []
    /// Messages sent but not yet delivered to the server, in order.
    var outgoing: [[UInt8]] = []
    var counter = 0
    /// What this client saw, by `message_type` (and `operation_rejected:<reason>`), for coverage.
    var seen: [String: Int] = [:]

    init(index: Int, outbox: MemoryOutbox) {
        self.index = index
        user = CollabUser(userID: "user-\(index)", email: "user\(index)@test.tmi")
        connectionID = "conn-\(index)-0"
        self.outbox = outbox
    }

    /// Confirmed state with pending operations re-applied, as the client applied them locally.
    var localView: DiagramState {
        var view = confirmed
        for op in pending { Self.applyLocally(op.cells, to: &view) }
        return view
    }

    static func applyLocally(_ cells: [CellOperation], to view: inout DiagramState) {
        for op in cells {
            switch op.kind {
            case .remove: view.remove(id: op.id)
            case .add, .update:
                guard var data = op.data else { continue }
                data["id"] = .string(op.id)
                if data["shape"] == nil, var cell = view[op.id] {
                    for (k, v) in data.objectValue ?? [:] { cell[k] = v }
                    view.upsert(cell, id: op.id)
                } else if data["shape"] != nil {
                    view.upsert(data, id: op.id)
                }
            }
        }
    }

    /// Processes up to `limit` delivered messages, oldest first.
    mutating func process(limit: Int = .max, cache: ParseCache) {
        let all = outbox.sent
        var n = 0
        while consumed < all.count && n < limit {
            let message = all[consumed]
            consumed += 1
            n += 1
            guard let json = cache.json(message) else { continue }
            apply(json)
        }
    }

    var hasUnprocessed: Bool { consumed < outbox.sent.count }

    mutating func apply(_ json: JSONValue) {
        let type = json["message_type"]?.stringValue ?? "?"
        seen[type, default: 0] += 1
        if type == "operation_rejected" {
            seen["operation_rejected:\(json["reason"]?.stringValue ?? "")", default: 0] += 1
        }
        if type == "diagram_operation", json["sequence_number"] != json["update_vector"] {
            seen["replayed_ack", default: 0] += 1
        }
        switch type {
        case "diagram_operation":
            guard let m = try? DiagramOperationMessage(json: json) else { return }
            confirmed.applyBroadcast(m)
            pending.removeAll { $0.id == m.operationID }
        case "operation_rejected":
            let id = json["operation_id"]?.stringValue
            pending.removeAll { $0.id == id }
        case "authorization_denied":
            let id = json["original_operation_id"]?.stringValue
            pending.removeAll { $0.id == id }
        case "diagram_state_sync":
            let cells = json["cells"]?.arrayValue ?? []
            confirmed = DiagramState(revision: Int64(json["update_vector"]?.doubleValue ?? 0), cells: cells)
        default:
            break
        }
    }

    /// A fresh cell id: a UUID, as the spec requires, unique per client.
    mutating func nextID(_ kind: String) -> String {
        counter += 1
        let serial = String(index * 1_000_000 + counter)
        return "\(kind == "e" ? "e" : "c")0000000-0000-4000-8000-"
            + String(repeating: "0", count: 12 - serial.count) + serial
    }

    mutating func nextOperationID() -> String {
        counter += 1
        return "op-\(index)-\(counter)"
    }

    /// Makes one random local edit (or history request) and queues it for the server.
    mutating func edit(using rng: inout SplitMix64) {
        let view = localView
        let nodes = view.cellIDs.filter { EdgeEndpoints.of(view[$0] ?? .null).isEmpty }
        let all = view.cellIDs
        var cells: [CellOperation] = []
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<20:
            let id = nextID("n")
            var node: JSONValue = [
                "id": .string(id), "shape": "process",
                "x": .number(Double(Int.random(in: 0..<500, using: &rng))),
                "y": 0, "width": 80, "height": 40, "attrs": ["text": ["text": "new"]],
            ]
            if Bool.random(using: &rng) { node["zIndex"] = 1 }
            cells.append(.add(node))
            if let other = nodes.randomElement(using: &rng), Bool.random(using: &rng) {
                cells.append(.add(Self.edge(nextID("e"), other, id)))
            }
        case 20..<45:
            guard let id = nodes.randomElement(using: &rng), var cell = view[id] else { return }
            cell["x"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
            cell["y"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
            cells.append(.update(id, cell))
        case 45..<65:
            guard let id = all.randomElement(using: &rng), var cell = view[id] else { return }
            let label = JSONValue.string("L\(index)-\(counter)")
            counter += 1
            if Bool.random(using: &rng) {
                cell["attrs"] = ["text": ["text": label]]
                cells.append(.update(id, cell))
            } else {
                cells.append(.update(id, ["label": label]))
            }
        case 65..<77:
            guard let id = all.randomElement(using: &rng) else { return }
            cells.append(.remove(id))
        case 77..<87:
            guard nodes.count >= 2 else { return }
            let a = nodes.randomElement(using: &rng)!
            let b = nodes.randomElement(using: &rng)!
            cells.append(.add(Self.edge(nextID("e"), a, b)))
        case 87..<92:
            let type = Bool.random(using: &rng) ? "undo_request" : "redo_request"
            outgoing.append(JSONValue.object(["message_type": .string(type)]).serialized())
            return
        case 92..<96:
            // Resend a pending operation, as after a lost connection: it must not apply twice.
            guard let p = pending.randomElement(using: &rng) else { return }
            outgoing.append(
                DiagramOperationMessage(operationID: p.id, baseVector: confirmed.revision, cells: p.cells)
                    .encoded())
            return
        default:
            // Two moves in one message (atomic), without a base (an older client).
            for id in nodes.shuffled(using: &rng).prefix(2) {
                guard var cell = view[id] else { continue }
                cell["x"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
                cells.append(.update(id, cell))
            }
            if cells.isEmpty { return }
            send(cells, base: nil)
            return
        }
        send(cells, base: confirmed.revision)
    }

    mutating func send(_ cells: [CellOperation], base: Int64?) {
        let id = nextOperationID()
        pending.append((id, cells))
        outgoing.append(
            DiagramOperationMessage(
                operationID: id, initiatingUser: UserClaim(user), baseVector: base, cells: cells
            )
            .encoded())
    }

    static func edge(_ id: String, _ source: String, _ target: String) -> JSONValue {
        [
            "id": .string(id), "shape": "edge", "source": ["cell": .string(source)],
            "target": ["cell": .string(target)],
        ]
    }
}
