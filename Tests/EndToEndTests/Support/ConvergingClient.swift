import CollabCore

/// A browser-like collaborator on a real WebSocket following DESIGN §6's client algorithm: apply
/// server messages in order by replacing or removing whole cells, keep its own unacknowledged
/// operations pending, and edit the confirmed state with those pending operations re-applied.
/// Used by one task at a time (its schedule).
final class ConvergingClient {
    let index: Int
    let email: String
    /// Where to (re)connect: port, threat model, diagram.
    let target: (port: Int, model: String, diagram: String)
    /// Makes cell ids unique per schedule (and readable in a failure message).
    let idPrefix: String
    var connection: DiagramClient
    var confirmed = DiagramState()
    var pending: [(id: String, cells: [CellOperation])] = []
    var counter = 0
    /// What this client saw, by `message_type` (and `operation_rejected:<reason>`), for coverage.
    var seen: [String: Int] = [:]

    private init(
        index: Int, email: String, target: (Int, String, String), idPrefix: String, connection: DiagramClient
    ) {
        self.index = index
        self.email = email
        self.target = target
        self.idPrefix = idPrefix
        self.connection = connection
    }

    /// Joins and applies the first state sync, so the first edit starts from the real diagram.
    static func join(index: Int, email: String, target: (Int, String, String), idPrefix: String) async throws
        -> ConvergingClient
    {
        let connection = try await DiagramClient.connect(
            port: target.0, model: target.1, diagram: target.2, email: email)
        let client = ConvergingClient(
            index: index, email: email, target: target, idPrefix: idPrefix, connection: connection)
        client.apply(try await connection.next("diagram_state_sync"))
        return client
    }

    /// Confirmed state with pending operations re-applied, as the user sees it.
    var localView: DiagramState {
        var view = confirmed
        for op in pending {
            for cell in op.cells {
                switch cell.kind {
                case .remove: view.remove(id: cell.id)
                case .add, .update:
                    guard var data = cell.data else { continue }
                    data["id"] = .string(cell.id)
                    if data["shape"] != nil {
                        view.upsert(data, id: cell.id)
                    } else if var whole = view[cell.id] {
                        for (k, v) in data.objectValue ?? [:] { whole[k] = v }
                        view.upsert(whole, id: cell.id)
                    }
                }
            }
        }
        return view
    }

    /// Applies up to `limit` messages that have already arrived, without waiting.
    func processArrived(limit: Int = .max) {
        for m in connection.available(limit: limit) { apply(m) }
    }

    /// Waits for one message (one is expected: an operation is pending or a revision is missing).
    func processOne() async throws {
        do {
            apply(try await connection.nextMessage())
        } catch {
            throw Stuck(what: "client \(index) (\(pending.count) pending, saw \(seen)): \(error)")
        }
    }

    struct Stuck: Error, CustomStringConvertible { var what: String; var description: String { what } }

    func apply(_ json: JSONValue) {
        let type = json["message_type"]?.stringValue ?? "?"
        seen[type, default: 0] += 1
        switch type {
        case "diagram_operation":
            guard let m = try? DiagramOperationMessage(json: json) else {
                seen["unparsable diagram_operation", default: 0] += 1
                return
            }
            if m.sequenceNumber != m.updateVector { seen["replayed_ack", default: 0] += 1 }
            confirmed.applyBroadcast(m)
            pending.removeAll { $0.id == m.operationID }
        case "operation_rejected":
            seen["operation_rejected:\(json["reason"]?.stringValue ?? "")", default: 0] += 1
            let id = json["operation_id"]?.stringValue
            pending.removeAll { $0.id == id }
        case "diagram_state_sync":
            let cells = json["cells"]?.arrayValue ?? []
            confirmed = DiagramState(revision: Int64(json["update_vector"]?.doubleValue ?? 0), cells: cells)
        case "state_correction":
            // The server names its revision after refusing an edge whose endpoint is gone. Every
            // accepted operation is broadcast in order, so applying the stream is the correction;
            // a client behind that revision must still receive what it lacks (checked at the end).
            break
        default:
            if type == "error" {
                seen["error:\(json["error"] ?? .null) \(json["message"] ?? .null)", default: 0] += 1
            }
        }
    }

    /// Drops the connection (messages that arrived but were not applied are lost, as on a real
    /// disconnect), reconnects with `?base_vector=` the last applied revision, and resends every
    /// pending operation (the server must not apply one twice).
    func reconnect() async throws {
        try await connection.closeAndWait()
        let base = confirmed.revision
        connection = try await DiagramClient.connect(
            port: target.port, model: target.model, diagram: target.diagram, email: email, baseVector: base)
        for p in pending { try send(p.id, p.cells, base: base) }
    }

    /// A fresh cell id: a UUID unique per schedule and client.
    func nextID() -> String {
        counter += 1
        let serial = String(index * 1_000_000 + counter)
        return idPrefix + "-0000-4000-8000-" + String(repeating: "0", count: 12 - serial.count) + serial
    }

    /// Makes one random local edit and sends it; false when there was nothing to edit.
    func edit(using rng: inout SplitMix64) throws -> Bool {
        let view = localView
        let nodes = view.cellIDs.filter { EdgeEndpoints.of(view[$0] ?? .null).isEmpty }
        let all = view.cellIDs
        var cells: [CellOperation] = []
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<25:
            let id = nextID()
            cells.append(
                .add([
                    "id": .string(id), "shape": "process",
                    "x": .number(Double(Int.random(in: 0..<500, using: &rng))),
                    "y": 0, "width": 80, "height": 40, "attrs": ["text": ["text": "new"]],
                ]))
            if let other = nodes.randomElement(using: &rng), Bool.random(using: &rng) {
                cells.append(.add(Self.edge(nextID(), other, id)))
            }
        case 25..<48:
            guard let id = nodes.randomElement(using: &rng), var cell = view[id] else { return false }
            cell["x"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
            cell["y"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
            cells.append(.update(id, cell))
        case 48..<68:
            guard let id = all.randomElement(using: &rng), var cell = view[id] else { return false }
            counter += 1
            let label = JSONValue.string("L\(index)-\(counter)")
            if Bool.random(using: &rng) {
                cell["attrs"] = ["text": ["text": label]]
                cells.append(.update(id, cell))
            } else {
                cells.append(.update(id, ["label": label]))  // a partial update
            }
        case 68..<82:
            guard let id = all.randomElement(using: &rng) else { return false }
            cells.append(.remove(id))
        case 82..<94:
            guard let a = nodes.randomElement(using: &rng), let b = nodes.randomElement(using: &rng) else {
                return false
            }
            cells.append(.add(Self.edge(nextID(), a, b)))
        default:
            // Resend a pending operation, as a client unsure of delivery would.
            guard let p = pending.randomElement(using: &rng) else { return false }
            try send(p.id, p.cells, base: confirmed.revision)
            return true
        }
        counter += 1
        let id = "\(idPrefix)-op-\(index)-\(counter)"
        pending.append((id, cells))
        try send(id, cells, base: confirmed.revision)
        return true
    }

    private func send(_ id: String, _ cells: [CellOperation], base: Int64) throws {
        let user = connection.user
        try connection.send(
            DiagramOperationMessage(
                operationID: id, initiatingUser: UserClaim(userID: user.id, email: user.email),
                baseVector: base, cells: cells
            ).json)
    }

    static func edge(_ id: String, _ source: String, _ target: String) -> JSONValue {
        [
            "id": .string(id), "shape": "edge", "source": ["cell": .string(source)],
            "target": ["cell": .string(target)],
        ]
    }
}
