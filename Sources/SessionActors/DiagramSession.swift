import CollabCore
import FoundationEssentials
import Synchronization

/// One live diagram (DESIGN §6): its cells and revision, participants with their roles (host,
/// presenter), the operation log and undo stacks (all inside `DiagramEngine`), and delivery.
///
/// Everything that changes the diagram happens synchronously inside one actor turn: transform,
/// apply and revision bump are a single call into the pure engine, and its broadcast is encoded
/// once and queued in the same turn. The only suspension is waiting for persistence, and while it
/// waits, later messages are sequenced normally; delivery is held in order behind it
/// (`DiagramSession+Delivery.swift`). The session never awaits a participant.
public actor DiagramSession {
    public nonisolated let sessionID: String
    public nonisolated let threatModelID: String
    public nonisolated let diagramID: String

    let configuration: SessionConfiguration
    let persistence: any SessionPersistence
    let clock: SessionClock
    let makeOperationID: @Sendable () -> String
    /// Operation counters and latency, shared by every session of a directory.
    nonisolated let metrics: SessionMetrics

    var engine: DiagramEngine
    /// Every change of membership (a key added or removed) changes the count, which is how the
    /// cached `everyone` notices it; an existing key is only ever updated in place (activity,
    /// rate limiters), never given another connection's outbox.
    var participants: [String: Participant] = [:] {
        didSet { if participants.count != recipients?.participants { recipients = nil } }
    }
    /// Read-only console observers by id (`DiagramSession+Observers.swift`); not participants.
    var observers: [String: any ParticipantOutbox] = [:] {
        didSet { if observers.count != recipients?.observers { recipients = nil } }
    }
    /// `everyone`, kept between membership changes: sorting 500 participants for each broadcast
    /// took a fifth of the server's time at 200 editors (issue 15).
    var recipients: (participants: Int, observers: Int, outboxes: [any ParticipantOutbox])?
    /// Accepted operations per second over the last minute, for the console.
    var operationRate = OperationRate()
    let createdAt: Double
    /// Told of every change the console shows; nil when nobody watches (tests, benchmarks).
    let changes: SessionChangeSignal?
    var nextSequence = 0
    /// The host and presenter are users (DESIGN §5: one identity key), not connections.
    var host: CollabUser?
    var presenter: CollabUser?
    /// Users the host removed; they may not rejoin this session.
    var denied: Set<String> = []
    var lastActivity: Double
    var emptySince: Double?
    /// Set once, when the session ends; readable without awaiting the actor so the directory can
    /// skip an ended session synchronously.
    private nonisolated let ended = Atomic<Bool>(false)
    public nonisolated var isEnded: Bool { ended.load(ordering: .acquiring) }

    var delivery: DeliveryQueue
    /// Bumped by each rollback of operations that could not be stored (`DiagramSession+Storage`).
    var storageEpoch = 0
    var operationsSinceSnapshot = 0

    public init(
        sessionID: String, threatModelID: String, diagramID: String, state: DiagramState, host: CollabUser?,
        configuration: SessionConfiguration = .init(),
        persistence: any SessionPersistence = NoSessionPersistence(),
        clock: SessionClock = .system,
        makeOperationID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
        changes: SessionChangeSignal? = nil,
        metrics: SessionMetrics = SessionMetrics(),
        applied: [AppliedOperation] = []
    ) {
        self.changes = changes
        self.metrics = metrics
        self.sessionID = sessionID
        self.threatModelID = threatModelID
        self.diagramID = diagramID
        self.configuration = configuration
        self.persistence = persistence
        self.clock = clock
        self.makeOperationID = makeOperationID
        self.host = host
        self.presenter = host
        engine = DiagramEngine(
            state: state, configuration: configuration.engine, validator: configuration.cellValidator)
        // Operations another node's session applied (a failover): de-duplication survives it.
        engine.remember(applied)
        delivery = DeliveryQueue(durableRevision: state.revision)
        let now = clock.now()
        lastActivity = now
        emptySince = now
        createdAt = now
    }

    /// The live diagram, for REST reads of a diagram that has a session (DESIGN §6).
    public var state: DiagramState { engine.state }

    public var participantCount: Int { participants.count }

    /// When anything last happened, and since when the session has had nobody in it.
    public var activity: (lastActivity: Double, emptySince: Double?) { (lastActivity, emptySince) }

    public var summary: SessionSummary {
        SessionSummary(
            sessionID: sessionID, threatModelID: threatModelID, diagramID: diagramID, host: host,
            presenter: presenter, participants: participantRows(), revision: engine.revision)
    }

    func markEnded() { ended.store(true, ordering: .releasing) }

    func timestamp(_ t: Double? = nil) -> String {
        Timestamp(millisecondsSinceEpoch: Int64(((t ?? clock.now()) * 1000).rounded(.down))).rfc3339
    }

    /// One row per user (a user with two tabs is one participant), in join order; a user holding
    /// writer on any connection is listed as writer.
    func participantRows() -> [ParticipantSummary] {
        var rows: [String: (Int, ParticipantSummary)] = [:]
        for p in participants.values {
            let row = ParticipantSummary(
                user: p.user, role: p.identity.role, lastActivity: timestamp(p.lastActivity))
            if let (seq, existing) = rows[p.user.userID] {
                var merged = existing
                merged.role = max(existing.role, row.role)
                merged.lastActivity = max(existing.lastActivity, row.lastActivity)
                rows[p.user.userID] = (min(seq, p.sequence), merged)
            } else {
                rows[p.user.userID] = (p.sequence, row)
            }
        }
        return rows.values.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func connections(of userID: String) -> [Participant] {
        participants.values.filter { $0.user.userID == userID }.sorted { $0.sequence < $1.sequence }
    }

    func isConnected(_ user: CollabUser?) -> Bool {
        guard let user else { return false }
        return participants.values.contains { $0.user.userID == user.userID }
    }

    /// Every participant in join order, then every console observer: observers see what
    /// participants see.
    var everyone: [any ParticipantOutbox] {
        if let recipients { return recipients.outboxes }
        let outboxes =
            participants.values.sorted { $0.sequence < $1.sequence }.map(\.outbox) + observerOutboxes
        recipients = (participants.count, observers.count, outboxes)
        return outboxes
    }

    func everyone(except connectionID: String) -> [any ParticipantOutbox] {
        participants.values.filter { $0.identity.connectionID != connectionID }.sorted {
            $0.sequence < $1.sequence
        }
        .map(\.outbox) + observerOutboxes
    }

    var participantsUpdate: ServerMessage {
        .participantsUpdate(
            participantRows(), host: host?.userID ?? "", currentPresenter: presenter?.userID ?? "")
    }

    var stateSync: ServerMessage {
        .diagramStateSync(diagramID: diagramID, updateVector: engine.revision, cells: engine.state.cells)
    }

    func sendError(
        _ error: String, _ message: String, code: String? = nil, to outbox: any ParticipantOutbox,
        ordered: Bool = true
    ) {
        deliver(
            .error(error: error, message: message, code: code, timestamp: timestamp()), to: [outbox],
            ordered: ordered)
    }
}
