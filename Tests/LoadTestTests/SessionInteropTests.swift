import CollabCore
import SessionActors
import Synchronization
import Testing

@testable import LoadTestKit

/// The load tester's editors against the real collaboration session (no network): the same
/// generator and client model, joined to a `DiagramSession` through in-memory outboxes, with
/// random interleavings of sending, sequencing and delivery. When everything drains, every
/// editor's cells must equal the session's — the convergence a live run checks, here without
/// sockets, so a protocol mismatch between the tool and the server shows up in CI.
@Suite struct SessionInteropTests {
    final class Outbox: ParticipantOutbox {
        let queue = Mutex<[SharedMessage]>([])
        func send(_ message: SharedMessage) { queue.withLock { $0.append(message) } }
        func close(_ reason: OutboxCloseReason) {}
        func take() -> SharedMessage? {
            queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        }
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func editorsConvergeWithTheRealSession(seed: UInt64) async throws {
        let editors = 4
        let session = DiagramSession(
            sessionID: "s", threatModelID: "t", diagramID: "d", state: DiagramState(), host: nil)
        var outboxes: [Outbox] = []
        var models: [ClientDiagramModel] = []
        var generators: [OperationGenerator] = []
        for i in 0..<editors {
            let outbox = Outbox()
            let user = CollabUser(userID: "u\(i)", email: "e\(i)@test.tmi")
            let joined = await session.join(
                ParticipantIdentity(connectionID: "c\(i)", user: user, role: .writer), outbox: outbox)
            #expect(joined == .joined)
            outboxes.append(outbox)
            models.append(ClientDiagramModel(user: UserRef(userID: user.userID, email: user.email)))
            generators.append(OperationGenerator(seed: seed, editorIndex: i, isPresenter: i == 0))
        }
        var rng = SeededRandom(seed: seed)
        var toServer = Array(repeating: [[UInt8]](), count: editors)
        var outcomes: [String: Int] = [:]
        func deliverOne(_ i: Int) {
            guard let message = outboxes[i].take() else { return }
            let text = String(decoding: message.bytes, as: UTF8.self)
            guard let parsed = SessionMessage.parse(text: text) else {
                Issue.record("unparseable: \(text)")
                return
            }
            // The session limits the presenter's cursor rate; this test sends in bursts.
            if case .error(let code, let m) = parsed, code != "rate_limited" {
                Issue.record("server error \(code): \(m)")
            }
            switch models[i].apply(parsed) {
            case .rejected(_, let reason): outcomes["rejected:\(reason)", default: 0] += 1
            case .acknowledged: outcomes["acked", default: 0] += 1
            case .resynchronized: outcomes["resynchronized", default: 0] += 1
            default: break
            }
        }
        var sent = 0
        var connections = (0..<editors).map { "c\($0)" }
        for step in 0..<4_000 {
            if step == 2_000 {
                // Editor 1's connection drops: what was in flight either way is lost. It comes
                // back naming the revision it applied and resends what is still pending, as
                // `Editor.reconnect` does.
                await session.leave(connectionID: connections[1])
                toServer[1].removeAll()
                outboxes[1] = Outbox()
                connections[1] = "c1-again"
                models[1].rejoining()
                let joined = await session.join(
                    ParticipantIdentity(
                        connectionID: connections[1], user: CollabUser(userID: "u1", email: "e1@test.tmi"),
                        role: .writer),
                    outbox: outboxes[1], resumeFrom: Int64(models[1].vector))
                #expect(joined == .joined)
                for op in models[1].pending {
                    let message = EditorMessage.operation(
                        id: op.operationID, baseVector: nil, cells: op.cells, user: models[1].user)
                    toServer[1].append(Array(message.text.utf8))
                }
            }
            let who = Int.random(in: 0..<editors, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0 where sent < 600:
                let message: EditorMessage
                switch generators[who].next(view: models[who].view) {
                case .operation(_, let cells):
                    let id = rng.uuid()
                    models[who].sent(operationID: id, cells: cells, at: .zero)
                    message = .operation(
                        id: id, baseVector: models[who].vector, cells: cells, user: models[who].user)
                case .undo: message = .undo(user: models[who].user)
                case .cursor(let x, let y): message = .cursor(x: x, y: y)
                }
                toServer[who].append(Array(message.text.utf8))
                sent += 1
            case 1 where !toServer[who].isEmpty:
                await session.receive(toServer[who].removeFirst(), from: connections[who])
            case 2:
                deliverOne(who)
            default: break
            }
        }
        for i in 0..<editors {
            while !toServer[i].isEmpty {
                await session.receive(toServer[i].removeFirst(), from: connections[i])
            }
        }
        let state = await session.state
        for i in 0..<editors {
            while !outboxes[i].queue.withLock({ $0.isEmpty }) { deliverOne(i) }
        }
        #expect(state.revision > 50)
        #expect((outcomes["acked"] ?? 0) > 50)
        for (i, model) in models.enumerated() {
            #expect(model.pending.isEmpty, "editor \(i) still has \(model.pending.count) pending")
            #expect(model.vector == Int(state.revision))
        }
        let verdict = CellComparison.verdict(
            editors: models.enumerated().map { ("e\($0.offset)", $0.element.confirmed) },
            serverCells: state.cells)
        #expect(verdict.converged, "\(String(describing: verdict.difference))")
    }
}
