import CollabCore
import TestSupport

/// An editor of the cluster tests: follows DESIGN §6's client algorithm (apply server messages
/// in order by whole cells, keep its unacknowledged operations pending), and when its connection
/// closes reconnects through another node with `?base_vector=`, then resends what is pending
/// (the server must not apply any of it twice). Edits are node additions (unique ids) and moves
/// of existing nodes, so "every acknowledged operation is present exactly once" is checkable.
final class ClusterEditor: @unchecked Sendable {
    // @unchecked: each editor is driven by exactly one task at a time (its own, then the test's).
    let index: Int
    let user: String
    let target: (model: String, diagram: String)
    var node: Int
    var connection: DiagramClient
    var confirmed = DiagramState()
    var pending: [(id: String, cells: [CellOperation])] = []
    /// Operation ids acknowledged to this editor, and the cells its additions created.
    var acknowledged: Set<String> = []
    var addedCells: [String: String] = [:]  // operation id → cell id
    var counter = 0
    var reconnects = 0
    /// When the first acknowledgement arrived over a reconnected connection (for the failover
    /// time the benchmark quotes; never asserted on).
    var firstAckAfterReconnect: ContinuousClock.Instant?
    var closeCodes: [UInt16] = []

    init(index: Int, user: String, target: (String, String), node: Int, connection: DiagramClient) {
        self.index = index
        self.user = user
        self.target = target
        self.node = node
        self.connection = connection
    }

    static func path(
        _ target: (model: String, diagram: String), user: String, base: Int64?, _ harness: ClusterHarness
    ) -> String {
        var p = "/threat_models/\(target.model)/diagrams/\(target.diagram)/ws?token=\(harness.token(user))"
        if let base { p += "&base_vector=\(base)" }
        return p
    }

    /// Connects to node `node`, then applies messages up to the joiner's roster (its initial state).
    static func join(index: Int, target: (String, String), node: Int, harness: ClusterHarness) async throws
        -> ClusterEditor
    {
        let user = "editor\(index)"
        var attempt = 0
        var connection: DiagramClient
        while true {
            attempt += 1
            do {
                connection = try await DiagramClient.connect(
                    port: harness.node(node).port, target: path(target, user: user, base: nil, harness),
                    email: "\(user)@test.tmi", tls: harness.clientTLS)
                break
            } catch  where attempt < 40 && "\(error)".contains("503") {
                // A 503 (with Retry-After) is the cluster's "placing the session, try again": a
                // client retries it. No assertion depends on this backoff.
                try await Task.sleep(for: .milliseconds(min(50 * attempt, 300)))
            }
        }
        let editor = ClusterEditor(
            index: index, user: user, target: target, node: node, connection: connection)
        try await editor.settle()
        return editor
    }

    /// Applies messages until the `participants_update` that ends a join.
    func settle() async throws {
        while true {
            let m = try await connection.nextMessage()
            apply(m)
            if m["message_type"] == "participants_update" { return }
        }
    }

    func apply(_ json: JSONValue) {
        switch json["message_type"]?.stringValue {
        case "diagram_operation":
            guard let m = try? DiagramOperationMessage(json: json) else { return }
            confirmed.applyBroadcast(m)
            if pending.contains(where: { $0.id == m.operationID }) {
                if reconnects > 0 && firstAckAfterReconnect == nil { firstAckAfterReconnect = .now }
                acknowledged.insert(m.operationID)
                pending.removeAll { $0.id == m.operationID }
            }
        case "operation_rejected":
            let id = json["operation_id"]?.stringValue
            pending.removeAll { $0.id == id }
            if let id { addedCells[id] = nil }
        case "diagram_state_sync":
            confirmed = DiagramState(
                revision: Int64(json["update_vector"]?.doubleValue ?? 0),
                cells: json["cells"]?.arrayValue ?? [])
        default: break
        }
    }

    /// Sends one edit: a new node (60%) or a move of an existing one.
    func edit(using rng: inout SplitMix64) throws {
        counter += 1
        let id = "e\(index)-op\(counter)-\(target.diagram.prefix(8))"
        let nodes = confirmed.cellIDs
        var cells: [CellOperation]
        if nodes.isEmpty || Int.random(in: 0..<100, using: &rng) < 60 {
            let serial = String(index * 100_000 + counter)
            let cell = "c0000000-0000-4000-8000-" + String(repeating: "0", count: 12 - serial.count) + serial
            cells = [
                .add([
                    "id": .string(cell), "shape": "process",
                    "x": .number(Double(Int.random(in: 0..<500, using: &rng))),
                    "y": 0, "width": 80, "height": 40,
                ])
            ]
            addedCells[id] = cell
        } else {
            let cellID = nodes.randomElement(using: &rng)!
            var cell = confirmed[cellID]!
            cell["x"] = .number(Double(Int.random(in: 0..<500, using: &rng)))
            cells = [.update(cellID, cell)]
        }
        pending.append((id, cells))
        do {
            try send(id, cells)
        } catch {
            // The connection closed under us: the next `step` reconnects and resends.
        }
    }

    func send(_ id: String, _ cells: [CellOperation]) throws {
        try connection.send(
            DiagramOperationMessage(operationID: id, baseVector: confirmed.revision, cells: cells).json)
    }

    /// Waits for the next message; on a closed connection reconnects through a live node.
    func step(_ harness: ClusterHarness) async throws {
        do {
            apply(try await connection.nextMessage(seconds: 30))
        } catch {
            try await reconnect(harness)
        }
    }

    /// Reconnects through the live nodes in turn (a node refuses or closes with 1012 while the
    /// dead owner's lease has not expired yet), then resends every pending operation.
    func reconnect(_ harness: ClusterHarness) async throws {
        if let code = connection.closeCode { closeCodes.append(code) }
        connection.close()
        reconnects += 1
        var attempt = 0
        while true {
            try Task.checkCancellation()
            attempt += 1
            let alive = harness.alive
            node = alive[(index + attempt) % alive.count]
            do {
                connection = try await DiagramClient.connect(
                    port: harness.node(node).port,
                    target: Self.path(target, user: user, base: confirmed.revision, harness),
                    email: "\(user)@test.tmi", tls: harness.clientTLS)
                try await settle()
                break
            } catch {
                // A client's reconnect backoff; no assertion depends on it.
                try await Task.sleep(for: .milliseconds(min(50 * attempt, 300)))
            }
        }
        for p in pending { try? send(p.id, p.cells) }
    }
}
