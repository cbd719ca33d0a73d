import CollabCore
import FoundationEssentials

/// All live sessions, one per diagram: create, find, join, leave, list, end and expire.
///
/// Expiry is driven from outside (`expire(now:)`, called by the server's housekeeping timer or a
/// test) so nothing here sleeps. A session expires when it has been empty for `emptyGracePeriod`
/// or idle for `inactivityTimeout` (the catalogue's 15 minutes).
public actor SessionDirectory {
    public struct Configuration: Sendable {
        public var inactivityTimeout: Double
        public var emptyGracePeriod: Double
        public var session: SessionConfiguration

        public init(
            inactivityTimeout: Double = 15 * 60, emptyGracePeriod: Double = 60,
            session: SessionConfiguration = .init()
        ) {
            self.inactivityTimeout = inactivityTimeout
            self.emptyGracePeriod = emptyGracePeriod
            self.session = session
        }
    }

    public enum CreateResult: Sendable {
        case created(DiagramSession)
        /// A session for that diagram is already live (REST `POST .../collaborate` answers 409).
        case exists(DiagramSession)
    }

    let configuration: Configuration
    let clock: SessionClock
    let makeID: @Sendable () -> String
    private var sessions: [String: DiagramSession] = [:]
    /// Fires whenever a session starts, ends or changes in a way the console shows.
    public nonisolated let changes = SessionChangeSignal()
    /// Operation counters of every session this directory creates (for `/metrics`).
    public nonisolated let metrics = SessionMetrics()

    public init(
        configuration: Configuration = .init(), clock: SessionClock = .system,
        makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.configuration = configuration
        self.clock = clock
        self.makeID = makeID
    }

    /// Creates the session for `diagramID` from its stored state, unless one is live.
    public func create(
        threatModelID: String, diagramID: String, host: CollabUser?, state: DiagramState,
        persistence: any SessionPersistence = NoSessionPersistence(), applied: [AppliedOperation] = []
    ) -> CreateResult {
        // A session that ended on its own (its persistence failed) is replaced, not reported.
        if let live = sessions[diagramID], !live.isEnded { return .exists(live) }
        let session = DiagramSession(
            sessionID: makeID(), threatModelID: threatModelID, diagramID: diagramID, state: state, host: host,
            configuration: configuration.session, persistence: persistence, clock: clock,
            makeOperationID: makeID, changes: changes, metrics: metrics, applied: applied)
        sessions[diagramID] = session
        changes.notify()
        return .created(session)
    }

    /// The live session of `diagramID`, if any (an ended one is forgotten).
    public func find(diagramID: String) -> DiagramSession? {
        guard let session = sessions[diagramID] else { return nil }
        if session.isEnded {
            sessions[diagramID] = nil
            return nil
        }
        return session
    }

    /// Joins the live session of `diagramID`; `nil` when there is none.
    public func join(
        diagramID: String, _ identity: ParticipantIdentity, outbox: any ParticipantOutbox,
        resumeFrom: Int64? = nil
    ) async -> JoinResult? {
        guard let session = find(diagramID: diagramID) else { return nil }
        return await session.join(identity, outbox: outbox, resumeFrom: resumeFrom)
    }

    public func leave(diagramID: String, connectionID: String) async {
        await sessions[diagramID]?.leave(connectionID: connectionID)
    }

    /// Every live session, for `GET /collaboration/sessions` (the caller filters by access).
    public func list() async -> [SessionSummary] {
        var out: [SessionSummary] = []
        for session in sessions.values { out.append(await session.summary) }
        return out.sorted { $0.diagramID < $1.diagramID }
    }

    /// Every live session as the operator console shows it (the caller filters by access).
    public func consoleViews() async -> [SessionConsoleView] {
        var out: [SessionConsoleView] = []
        for session in sessions.values where !session.isEnded { out.append(await session.consoleView) }
        return out.sorted { $0.summary.diagramID < $1.summary.diagramID }
    }

    /// Ends the session of `diagramID` with a message to everyone. Returns whether one was live.
    @discardableResult
    public func end(diagramID: String, reason: SessionEndReason) async -> Bool {
        guard let session = sessions.removeValue(forKey: diagramID) else { return false }
        await session.end(reason)
        return true
    }

    /// Ends every session under a deleted threat model.
    public func endAll(threatModelID: String, reason: SessionEndReason = .threatModelDeleted) async {
        let doomed = sessions.filter { $0.value.threatModelID == threatModelID }
        for (diagramID, session) in doomed {
            sessions[diagramID] = nil
            await session.end(reason)
        }
    }

    /// Ends sessions that are idle or have stayed empty too long; returns their diagram ids.
    @discardableResult
    public func expire(now: Double) async -> [String] {
        var expired: [String] = []
        for (diagramID, session) in sessions.sorted(by: { $0.key < $1.key }) {
            let (lastActivity, emptySince) = await session.activity
            let ended = session.isEnded
            let idle = now - lastActivity >= configuration.inactivityTimeout
            let abandoned = emptySince.map { now - $0 >= configuration.emptyGracePeriod } ?? false
            guard ended || idle || abandoned else { continue }
            // Another task may have replaced the entry while this one awaited.
            guard sessions[diagramID] === session else { continue }
            sessions[diagramID] = nil
            await session.end(.expired)
            expired.append(diagramID)
        }
        return expired
    }

    public var count: Int { sessions.count }
}

extension SessionDirectory {
    /// Live sessions and the participant connections in them, counted now (for `/metrics`):
    /// counting at scrape time rather than keeping a gauge means the figure cannot drift.
    public func census() async -> (sessions: Int, participants: Int) {
        var live = 0
        var participants = 0
        for session in sessions.values where !session.isEnded {
            live += 1
            participants += await session.participantCount
        }
        return (live, participants)
    }
}
