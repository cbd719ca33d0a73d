// Measures the cost of applying one update operation to a 2,000-cell diagram: in the pure engine,
// and through the session actor (decode, transform, apply, encode the broadcast once, hand it to
// every participant's outbox). Prints medians of several runs, in wall time and in process CPU
// time (the machine is shared, so CPU time is the steadier figure). Release builds only.
import CollabCore
import Glibc
import SessionActors

struct NullOutbox: ParticipantOutbox {
    func send(_ message: SharedMessage) {}
    func close(_ reason: OutboxCloseReason) {}
}

let cellCount = 2_000
let opsPerRun = 20_000
let runs = 7

/// Cell ids are UUIDs, as the spec requires (the session checks every changed cell against it).
func cellID(_ i: Int) -> String {
    let serial = String(i)
    return "00000000-0000-4000-8000-" + String(repeating: "0", count: 12 - serial.count) + serial
}

func diagram() -> DiagramState {
    var cells: [JSONValue] = []
    for i in 0..<cellCount {
        if i % 4 == 3 {
            cells.append([
                "id": .string(cellID(i)), "shape": "edge", "source": ["cell": .string(cellID(i - 1))],
                "target": ["cell": .string(cellID(i - 2))], "attrs": ["line": ["stroke": "#333"]],
            ])
        } else {
            cells.append([
                "id": .string(cellID(i)), "shape": "process", "x": .number(Double(i)), "y": 10, "width": 120,
                "height": 60, "zIndex": 1,
                "attrs": ["body": ["fill": "#fff"], "text": ["text": .string("Node \(i)")]],
                "data": ["_metadata": []],
            ])
        }
    }
    return DiagramState(revision: 0, cells: cells)
}

let user = CollabUser(userID: "bench", email: "bench@test.tmi")

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// (wall, CPU) nanoseconds since an arbitrary origin.
func now() -> (wall: Double, cpu: Double) {
    var w = timespec()
    var c = timespec()
    clock_gettime(CLOCK_MONOTONIC, &w)
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c)
    return (Double(w.tv_sec) * 1e9 + Double(w.tv_nsec), Double(c.tv_sec) * 1e9 + Double(c.tv_nsec))
}

struct Sample {
    var wall: [Double] = []
    var cpu: [Double] = []

    mutating func add(from start: (wall: Double, cpu: Double), ops: Int) {
        let end = now()
        wall.append((end.wall - start.wall) / Double(ops))
        cpu.append((end.cpu - start.cpu) / Double(ops))
    }
}

enum Edit {
    /// A drag: `x` changes (no cell rule can break, so the cell is not re-validated).
    case move
    /// A relabel: `attrs.text.text` changes (the changed cell is checked against the spec).
    case relabel
}

/// A whole-cell update of one node, based `lag` revisions behind the current one.
func edit(_ kind: Edit, _ state: DiagramState, _ n: Int, lag: Int64) -> DiagramOperationMessage {
    let id = cellID((n * 4) % cellCount)
    var cell = state[id] ?? .null
    switch kind {
    case .move: cell["x"] = .number(Double(n) + 0.5)
    case .relabel: cell["attrs"] = ["body": ["fill": "#fff"], "text": ["text": .string("Label \(n)")]]
    }
    return DiagramOperationMessage(
        operationID: "op-\(n)", initiatingUser: UserClaim(user), baseVector: max(0, state.revision - lag),
        cells: [.update(id, cell)])
}

func benchEngine(_ kind: Edit, lag: Int64, validator: CellValidator = .spec) -> Sample {
    var sample = Sample()
    for _ in 0..<runs {
        var engine = DiagramEngine(state: diagram(), validator: validator)
        // Messages are built up front; each is re-based as the revision advances.
        let messages = (0..<opsPerRun).map { edit(kind, engine.state, $0, lag: 0) }
        var accepted = 0
        let start = now()
        for var m in messages {
            m.baseVector = max(0, engine.revision - lag)
            if case .accepted = engine.submit(m, user: user, origin: "bench") { accepted += 1 }
        }
        sample.add(from: start, ops: opsPerRun)
        precondition(accepted == opsPerRun, "every edit must be accepted")
    }
    return sample
}

func benchSession(_ kind: Edit, participants: Int, decoded: Bool) async -> Sample {
    var sample = Sample()
    for _ in 0..<runs {
        let state = diagram()
        let session = DiagramSession(
            sessionID: "s", threatModelID: "t", diagramID: "d", state: state, host: user)
        for p in 0..<participants {
            _ = await session.join(
                ParticipantIdentity(connectionID: "c\(p)", user: user, role: .writer), outbox: NullOutbox())
        }
        let messages = (0..<opsPerRun).map { n -> DiagramOperationMessage in
            var m = edit(kind, state, n, lag: 0)
            m.baseVector = nil
            return m
        }
        let bytes = messages.map { $0.encoded() }
        let start = now()
        if decoded {
            for m in messages { await session.receive(.diagramOperation(m), from: "c0") }
        } else {
            for b in bytes { await session.receive(b, from: "c0") }
        }
        sample.add(from: start, ops: opsPerRun)
        let revision = await session.state.revision
        precondition(revision == Int64(opsPerRun), "every edit must be accepted")
    }
    return sample
}

func micros(_ ns: [Double]) -> String {
    let hundredths = Int((ns.sorted()[ns.count / 2] / 10).rounded())
    let fraction = String(hundredths % 100)
    return "\(hundredths / 100).\(String(repeating: "0", count: 2 - fraction.count))\(fraction) µs"
}

func show(_ label: String, _ s: Sample) {
    print("| \(label) | \(micros(s.cpu)) | \(micros(s.wall)) |")
}

print("one update of one node in a \(cellCount)-cell diagram; median of \(runs) runs × \(opsPerRun) ops")
print("| path | CPU per op | wall per op |")
print("| --- | --- | --- |")
show("engine, move, base = current", benchEngine(.move, lag: 0))
show("engine, move, base 8 revisions behind", benchEngine(.move, lag: 8))
show("engine, relabel, base = current", benchEngine(.relabel, lag: 0))
show("engine, relabel, without cell rules", benchEngine(.relabel, lag: 0, validator: .none))
show(
    "session actor, move, decoded message, 10 outboxes",
    await benchSession(.move, participants: 10, decoded: true))
show(
    "session actor, move, JSON bytes in, 10 outboxes",
    await benchSession(.move, participants: 10, decoded: false))
show(
    "session actor, relabel, JSON bytes in, 10 outboxes",
    await benchSession(.relabel, participants: 10, decoded: false))
