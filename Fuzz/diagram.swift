// libFuzzer target: structured random operations against DiagramEngine (DESIGN §6). The input is
// read as a program: each step picks a user, a base revision (current, absent, stale, future) and
// one to three cell operations over a small pool of ids (add node, add edge between any two ids,
// whole or partial update, remove), or an undo/redo, or a resent operation_id. After every step
// the engine must keep its invariants, and a trap reports the first that breaks:
// - the revision grows by exactly one per accepted message and is unchanged otherwise;
// - cell ids are unique and each cell's "id" is its key;
// - every edge endpoint names a cell that exists;
// - a client that applies the accepted messages in order, replacing or removing whole cells,
//   holds exactly the engine's cells (the convergence promise of DESIGN §6).
@testable import CollabCore

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var atEnd: Bool { index >= bytes.count }
    mutating func next() -> UInt8 {
        defer { index += 1 }
        return index < bytes.count ? bytes[index] : 0
    }
}

private let users = [
    CollabUser(userID: "u-alice", email: "alice@test.tmi"),
    CollabUser(userID: "u-bob", email: "bob@test.tmi"),
    CollabUser(userID: "u-carol", email: "carol@test.tmi"),
]
private let ids = (0..<8).map { "00000000-0000-4000-8000-00000000000\($0)" }
private let shapes: [JSONValue] = ["process", "store", "actor", "security-boundary", "text-box", "bogus"]

private func node(_ id: String, _ r: inout Reader) -> JSONValue {
    [
        "id": .string(id), "shape": shapes[Int(r.next()) % shapes.count], "x": .number(Double(r.next())),
        "y": .number(Double(r.next())), "width": 80, "height": 40,
        "attrs": ["text": ["text": .string("n\(r.next() % 4)")]],
    ]
}

private func edge(_ id: String, _ r: inout Reader) -> JSONValue {
    let source = ids[Int(r.next()) % ids.count]
    let target = ids[Int(r.next()) % ids.count]
    // X6 terminals as objects, older clients' bare ids, or a point that attaches to nothing.
    let form = r.next() % 3
    let s: JSONValue = form == 0 ? .string(source) : ["cell": .string(source)]
    let t: JSONValue = form == 2 ? ["x": 1, "y": 2] : ["cell": .string(target)]
    return ["id": .string(id), "shape": "edge", "source": s, "target": t]
}

private func cellOperation(_ r: inout Reader) -> CellOperation {
    let id = ids[Int(r.next()) % ids.count]
    switch r.next() % 6 {
    case 0: return .add(node(id, &r))
    case 1: return .add(edge(id, &r))
    case 2: return .update(id, node(id, &r))
    case 3: return .update(id, ["x": .number(Double(r.next())), "attrs": ["text": ["text": "moved"]]])
    case 4:
        return .update(id, ["zIndex": .number(Double(r.next())), "data": ["k": .number(Double(r.next()))]])
    default: return .remove(id)
    }
}

private func fail(_ what: String) -> Never {
    fatalError("diagram invariant broken: \(what)")
}

private func checkInvariants(_ engine: DiagramEngine, mirror: [String: JSONValue]) {
    let cells = engine.state.cells
    var seen = Set<String>()
    for cell in cells {
        guard let id = cell["id"]?.stringValue else { fail("a cell without an id") }
        guard seen.insert(id).inserted else { fail("duplicate cell id \(id)") }
        guard engine.state[id] == cell else { fail("cell \(id) is not found under its own id") }
    }
    guard seen.count == engine.state.count else { fail("count \(engine.state.count) != \(seen.count) cells") }
    for cell in cells {
        for endpoint in EdgeEndpoints.of(cell) where !seen.contains(endpoint) {
            fail("edge \(cell["id"]?.stringValue ?? "?") points at missing \(endpoint)")
        }
    }
    guard mirror.count == cells.count, cells.allSatisfy({ mirror[$0["id"]?.stringValue ?? ""] == $0 }) else {
        fail("a client replaying the broadcasts holds \(mirror.keys.sorted()), the engine \(seen.sorted())")
    }
}

/// Applies a broadcast as DESIGN §6 says a client does: replace or remove whole cells.
private func replay(_ message: DiagramOperationMessage, into mirror: inout [String: JSONValue]) {
    for op in message.cells {
        switch op.kind {
        case .remove: mirror[op.id] = nil
        case .add, .update:
            guard let data = op.data else { fail("broadcast \(op.kind) of \(op.id) without data") }
            mirror[op.id] = data
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDiagram(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard size > 0, let data else { return 0 }
    var r = Reader(bytes: UnsafeBufferPointer(start: data, count: size))
    let control = r.next()
    var engine = DiagramEngine(
        state: DiagramState(revision: Int64(control & 0x0F)),
        configuration: .init(logCapacity: 4 + Int(control >> 4), rememberedOperationIDs: 16, undoDepth: 4),
        validator: control & 0x80 != 0 ? .spec : .none)
    var mirror: [String: JSONValue] = [:]
    var sent: [(id: String, user: Int)] = []
    var step = 0
    while !r.atEnd, step < 200 {
        step += 1
        let before = engine.revision
        let userIndex = Int(r.next()) % users.count
        let user = users[userIndex]
        let origin = "conn-\(userIndex)-\(r.next() % 2)"
        let action = r.next()
        var accepted: AcceptedOperation?
        switch action % 8 {
        case 6, 7:
            let direction: DiagramEngine.HistoryDirection = action % 8 == 6 ? .undo : .redo
            if case .applied(let a) = engine.history(
                direction, user: user, origin: origin, operationID: "h\(step)")
            {
                accepted = a
                sent.append(("h\(step)", userIndex))
            }
        default:
            // Resend only what the engine must still remember: the last half of its id window
            // (it forgets the oldest ids by design, bounded memory).
            let recent = sent.suffix(8)
            let resend = action % 8 == 5 && !recent.isEmpty
            let operationID =
                resend ? recent[recent.startIndex + Int(r.next()) % recent.count].id : "op\(step)"
            let baseChoice = r.next()
            let base: Int64? =
                switch baseChoice % 4 {
                case 0: nil
                case 1: engine.revision
                case 2: engine.revision - Int64(baseChoice >> 2)
                default: engine.revision + 1
                }
            let count = Int(r.next() % 3) + 1
            let cells = (0..<count).map { _ in cellOperation(&r) }
            let message = DiagramOperationMessage(
                operationID: operationID, initiatingUser: nil, baseVector: base, cells: cells)
            switch engine.submit(message, user: user, origin: origin) {
            case .accepted(let a):
                if resend { fail("a resent operation_id was applied again") }
                accepted = a
                sent.append((operationID, userIndex))
            case .duplicate(let ack):
                guard ack.operationID == operationID else { fail("duplicate ack for another operation") }
            case .rejected, .needsStateSync:
                break
            }
        }
        if let accepted {
            guard accepted.revision == before + 1, engine.revision == before + 1 else {
                fail("revision went from \(before) to \(engine.revision) (message says \(accepted.revision))")
            }
            guard accepted.message.updateVector == accepted.revision else {
                fail(
                    "broadcast update_vector \(String(describing: accepted.message.updateVector)) != \(accepted.revision)"
                )
            }
            replay(accepted.message, into: &mirror)
        } else if engine.revision != before {
            fail("revision changed from \(before) to \(engine.revision) without an accepted message")
        }
        checkInvariants(engine, mirror: mirror)
    }
    return 0
}
