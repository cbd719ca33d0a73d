import CollabCore
import Synchronization

/// One simulated person at one diagram: a WebSocket, the client model of the diagram, and an
/// operation generator. Two tasks drive it — `sendLoop` on an open-loop schedule and `readLoop`
/// applying whatever the server sends — sharing the model under a mutex (the generator must see
/// the latest state; neither task ever waits on the other).
public final class Editor: Sendable {
    struct State {
        var model: ClientDiagramModel
        var generator: OperationGenerator
        var socket: (any LoadTestSocket)?
        /// Set while the read loop reopens the connection; the schedule skips its slots meanwhile.
        var reconnecting = false
        var stopping = false
        var dead = false
    }

    public let name: String
    public let index: Int
    let login: APIClient.Login
    let diagram: DiagramTarget
    let receivers: Int
    let state: Mutex<State>
    let context: RunContext
    /// Shared by the editors of this diagram: each broadcast is decoded once.
    let decoder: SharedDecoder

    init(
        name: String, index: Int, login: APIClient.Login, diagram: DiagramTarget, peers: Int, seed: UInt64,
        context: RunContext, decoder: SharedDecoder? = nil
    ) {
        self.decoder = decoder ?? SharedDecoder(readers: 1)
        self.name = name
        self.index = index
        self.login = login
        self.diagram = diagram
        self.receivers = peers
        self.context = context
        let isPresenter = index % Swift.max(peers + 1, 1) == 0
        state = Mutex(
            State(
                model: ClientDiagramModel(user: login.user),
                generator: OperationGenerator(seed: seed, editorIndex: index, isPresenter: isPresenter)))
    }

    /// The session's WebSocket; a reconnect names the revision already applied (`base_vector`)
    /// so the server can send only what was missed when its log still covers it.
    func wsTarget(resumeFrom: Int?) -> String {
        let base =
            "/threat_models/\(diagram.threatModel)/diagrams/\(diagram.diagram)/ws?token=\(login.accessToken)"
        return resumeFrom.map { base + "&base_vector=\($0)" } ?? base
    }

    /// Opens the WebSocket (the server then sends the join state, or what was missed).
    func connect(resumeFrom: Int? = nil) async throws {
        let socket = try await context.transport.openWebSocket(target: wsTarget(resumeFrom: resumeFrom))
        state.withLock { $0.socket = socket }
    }

    var socket: (any LoadTestSocket)? { state.withLock { $0.socket } }

    func send(_ message: EditorMessage) async throws {
        guard let socket else { throw LoadTestError.setup("\(name) is not connected") }
        try await socket.send(text: message.text)
    }

    /// The open-loop schedule: message k goes at `start + phase + k/rate` by the clock, however
    /// long earlier sends took, so a slow server sees the offered load rather than a client that
    /// politely waits (no coordinated omission). Ends at `stopAt` or on cancellation.
    func sendLoop(start: Duration, phase: Duration, interval: Duration, stopAt: Duration) async {
        var k: Int64 = 0
        while !Task.isCancelled {
            let due = start + phase + interval * k
            guard due < stopAt else { break }
            do { try await context.clock.sleep(until: due) } catch { break }
            k += 1
            let now = context.clock.now()
            expireStale(now: now)
            let (message, isDead) = state.withLock { s -> (EditorMessage?, Bool) in
                guard !s.dead, !s.stopping else { return (nil, true) }
                if s.reconnecting { return (nil, false) }
                switch s.generator.next(view: s.model.view) {
                case .operation(_, let cells):
                    let id = s.generator.newID()
                    s.model.sent(operationID: id, cells: cells, at: now)
                    return (
                        .operation(id: id, baseVector: s.model.vector, cells: cells, user: login.user), false
                    )
                case .undo:
                    return (.undo(user: login.user), false)
                case .cursor(let x, let y):
                    return (.cursor(x: x, y: y), false)
                }
            }
            if isDead { break }
            guard let message else { continue }
            context.metrics.update { m in
                switch message {
                case .operation(let id, _, _, _):
                    m.operationSent(id: id, at: now, scheduledAt: due, receivers: receivers)
                case .undo: m.otherMessageOut(at: due, kind: .undo)
                case .cursor: m.otherMessageOut(at: due, kind: .cursor)
                default: m.otherMessageOut(at: due, kind: .control)
                }
            }
            do { try await send(message) } catch { await connectionLost("send failed: \(error)") }
        }
    }

    /// Pending operations the server never answered within the limit are errors, and leave the
    /// view so the generator stops building on them.
    func expireStale(now: Duration) {
        let limit = context.pendingTimeout
        guard now > limit else { return }
        let expired = state.withLock { $0.model.expirePending(sentBefore: now - limit) }
        guard !expired.isEmpty else { return }
        context.metrics.update { m in
            for id in expired {
                m.operationRejected(id: id, reason: "timeout")
                m.error("\(name): operation \(id) unanswered after \(format(seconds(limit), 0)) s")
            }
        }
    }

    /// Idle: no operation of ours awaits its answer. (Undo requests are not awaited: a server may
    /// answer them in several ways; the verdict waits for the REST revision instead.)
    var isIdle: Bool { state.withLock { $0.model.pending.isEmpty } }
    var isDead: Bool { state.withLock { $0.dead } }
    var vector: Int { state.withLock { $0.model.vector } }
    var confirmedCells: [String: JSONValue] { state.withLock { $0.model.confirmed } }

    /// Closes the socket; the read loop then ends.
    func stop() async {
        let socket = state.withLock { s -> (any LoadTestSocket)? in
            s.stopping = true
            return s.socket
        }
        await socket?.close()
    }
}

/// Where an editor works.
public struct DiagramTarget: Sendable, Equatable {
    public var threatModel: String
    public var diagram: String
}

/// What every editor of a run shares.
struct RunContext: Sendable {
    let transport: any LoadTestTransport
    let api: APIClient
    let clock: any LoadTestClock
    let metrics: MetricsRecorder
    /// How long an operation may stay unanswered before it counts as an error.
    let pendingTimeout: Duration
    /// Which `--url` this editor's WebSocket goes to (0 with one node).
    var node = 0
    /// Several nodes: whether this editor's node is not its diagram's owner (the node of the
    /// diagram's first editor, which joins first), so the server relays its frames.
    var relayed = false
}
