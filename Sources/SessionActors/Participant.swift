import CollabCore

/// Who is joining: the connection, the authenticated user, and their role on the threat model
/// (DESIGN §5: readers may join and present; only writers change the diagram).
public struct ParticipantIdentity: Sendable, Equatable {
    /// Unique per connection; also the origin of that connection's operations for the transform.
    public var connectionID: String
    public var user: CollabUser
    public var role: CollabRole

    public init(connectionID: String, user: CollabUser, role: CollabRole) {
        self.connectionID = connectionID
        self.user = user
        self.role = role
    }
}

/// Why a join was refused. The session has already sent the participant an `error` and closed it.
public enum JoinRefusal: String, Sendable, Equatable {
    case sessionFull = "session_full"
    case removedByHost = "removed_by_host"
    case sessionEnded = "session_ended"
    case duplicateConnection = "duplicate_connection"
    case tooManyConnections = "too_many_connections"
}

public enum JoinResult: Sendable, Equatable {
    case joined
    case refused(JoinRefusal)
}

/// Why a session ended; everyone is told with an `error` message and their connections closed.
public enum SessionEndReason: String, Sendable, Equatable {
    case hostEnded = "host_ended"
    case diagramDeleted = "diagram_deleted"
    case threatModelDeleted = "threat_model_deleted"
    case expired = "session_expired"
    case persistenceFailed = "persistence_failed"
    /// Another node owns the diagram now (this node's lease lapsed, or its fencing token was
    /// refused by the store): clients reconnect and reach the new owner (DESIGN §11).
    case ownershipLost = "ownership_lost"

    var message: String {
        switch self {
        case .hostEnded: "the host ended the collaboration session"
        case .diagramDeleted: "the diagram was deleted"
        case .threatModelDeleted: "the threat model was deleted"
        case .expired: "the collaboration session expired after inactivity"
        case .persistenceFailed: "the server could not store an operation; reload the diagram"
        case .ownershipLost:
            "this server can no longer run the diagram's session (another node took it over, or the cluster directory is unreachable); reconnect to continue"
        }
    }
}

/// A live session as the REST listing shows it.
public struct SessionSummary: Sendable, Equatable {
    public var sessionID: String
    public var threatModelID: String
    public var diagramID: String
    public var host: CollabUser?
    public var presenter: CollabUser?
    public var participants: [ParticipantSummary]
    public var revision: Int64

    /// For a session of another node, rebuilt from the cluster's listing (DESIGN §11).
    public init(
        sessionID: String, threatModelID: String, diagramID: String, host: CollabUser?,
        presenter: CollabUser?,
        participants: [ParticipantSummary], revision: Int64
    ) {
        self.sessionID = sessionID
        self.threatModelID = threatModelID
        self.diagramID = diagramID
        self.host = host
        self.presenter = presenter
        self.participants = participants
        self.revision = revision
    }
}

/// One connected participant inside the session actor.
struct Participant {
    var identity: ParticipantIdentity
    let outbox: any ParticipantOutbox
    /// Join order; the longest-connected participant has the smallest.
    let sequence: Int
    let joinedAt: Double
    var lastActivity: Double
    /// The cells this participant last said it selected; shown to console observers.
    var selection: [String] = []
    var cursorLimiter: RateLimiter
    var selectionLimiter: RateLimiter
    /// Every message of this connection (`DiagramSession+Flood.swift`).
    var messageLimiter: RateLimiter
    /// Drains as messages are dropped for `messageLimiter`; empty means the connection is closed.
    var floodLimiter: RateLimiter
    /// Set after telling the participant its messages are being dropped, cleared when one passes.
    var warnedMessageRate = false
    /// Set after telling the participant it is rate limited, cleared when it conforms again.
    var warnedRateLimit = false
    /// Set after telling a non-presenter that only the presenter shares cursor and selection, so a
    /// client that keeps sending gets one error, not one per message.
    var warnedNotPresenter = false

    var user: CollabUser { identity.user }
}
