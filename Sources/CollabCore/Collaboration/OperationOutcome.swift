/// A message the engine accepted: the revision it produced and the message to broadcast (which is
/// also the record to journal: replaying its cells, whole, rebuilds the state).
public struct AcceptedOperation: Sendable, Equatable {
    public var revision: Int64
    public var message: DiagramOperationMessage
}

/// Why a message was not applied; it becomes the catalogue's `operation_rejected`.
public struct OperationRejection: Sendable, Equatable, Error {
    /// The catalogue's reason codes.
    public enum Reason: String, Sendable, Equatable {
        case validationFailed = "validation_failed"
        case conflictDetected = "conflict_detected"
        case noStateChange = "no_state_change"
        case diagramNotFound = "diagram_not_found"
        case permissionDenied = "permission_denied"
        case invalidOperationType = "invalid_operation_type"
        case emptyOperation = "empty_operation"
    }

    public var reason: Reason
    public var message: String
    public var affectedCells: [String]
    public var requiresResync: Bool
    /// The sender should also get a `state_correction` (an edge to a node that no longer exists).
    public var stateCorrection: Bool
    /// Set when the operation was accepted but could not be stored and was taken back: a REST
    /// caller answers 507 (`.diskFull`) or 503 instead of 422. Not part of the wire message.
    public var notStored: NotStored?

    public enum NotStored: Sendable, Equatable {
        case diskFull, unavailable
    }

    public init(
        _ reason: Reason, _ message: String, affectedCells: [String] = [], requiresResync: Bool = false,
        stateCorrection: Bool = false, notStored: NotStored? = nil
    ) {
        self.notStored = notStored
        self.reason = reason
        self.message = message
        self.affectedCells = affectedCells
        self.requiresResync = requiresResync
        self.stateCorrection = stateCorrection
    }
}

/// The result of submitting one `diagram_operation`.
public enum SubmitOutcome: Sendable, Equatable {
    /// Applied as a new revision; broadcast `message` to everyone, the sender included.
    case accepted(AcceptedOperation)
    /// The `operation_id` was applied before: nothing changes. `ack` is for the sender alone (see
    /// `DiagramEngine.acknowledgement(for:_:)`).
    case duplicate(ack: DiagramOperationMessage)
    /// Nothing applied (a message is atomic).
    case rejected(OperationRejection)
    /// `base_vector` is older than the log (or newer than the diagram): the sender needs a full
    /// `diagram_state_sync`; nothing applied.
    case needsStateSync
}
