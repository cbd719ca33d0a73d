import CollabCore

/// An editor's copy of a diagram, kept by DESIGN §6's client algorithm: server messages are
/// applied in arrival order by replacing or removing whole cells; the editor's own operations
/// that the server has not yet acknowledged stay pending and are laid on top for what the editor
/// "sees". When nothing is pending, `confirmed` must equal the server's state — the convergence
/// check compares exactly that.
public struct ClientDiagramModel: Sendable {
    public struct Pending: Sendable, Equatable {
        public var operationID: String
        public var cells: [CellChange]
        public var sentAt: Duration
    }

    /// What happened to the model (and to the editor's own operations) on a server message.
    public enum Outcome: Sendable, Equatable {
        /// Another editor's operation was applied (`operationID` for delivery tracking).
        case applied(operationID: String?)
        /// One of this editor's operations came back sequenced.
        case acknowledged(operationID: String)
        /// An operation in this editor's name that it did not send: the server's rendering of its
        /// `undo_request` (undo is broadcast as an ordinary operation).
        case ownUndoApplied
        /// One of this editor's operations was refused; it is no longer pending.
        case rejected(operationID: String, reason: String)
        /// A full state replaced the cells.
        case resynchronized
        /// The server says our state is behind: ask for it (`resync_request`; the answer comes
        /// in order on the same connection, so no broadcast can overtake it).
        case needsResync
        case ignored
    }

    public private(set) var confirmed: [String: JSONValue] = [:]
    public private(set) var pending: [Pending] = []
    /// The last revision seen (`update_vector`); broadcasts at or below it after a snapshot are stale.
    public private(set) var vector: Int = 0
    /// Whether the first `diagram_state_sync` (the join state) has arrived.
    public private(set) var synchronized = false
    let user: UserRef

    public init(user: UserRef) { self.user = user }

    /// The cells as this editor sees them: the server's cells with pending operations on top.
    public var view: [String: JSONValue] {
        guard !pending.isEmpty else { return confirmed }
        var cells = confirmed
        for op in pending { for cell in op.cells { cell.apply(to: &cells) } }
        return cells
    }

    /// Records an operation the editor just sent.
    public mutating func sent(operationID: String, cells: [CellChange], at now: Duration) {
        pending.append(Pending(operationID: operationID, cells: cells, sentAt: now))
    }

    /// Replaces the whole state (REST read or state sync) at revision `vector`.
    public mutating func applySnapshot(cells: [JSONValue], vector newVector: Int?) {
        var table: [String: JSONValue] = [:]
        for cell in cells { if let id = cell["id"]?.stringValue { table[id] = cell } }
        confirmed = table
        if let newVector { vector = newVector }
        synchronized = true
    }

    public mutating func apply(_ message: SessionMessage) -> Outcome {
        switch message {
        case .operation(let operationID, let updateVector, let user, let cells):
            let mine = operationID.flatMap { id in pending.firstIndex { $0.operationID == id } }
            if let index = mine { pending.remove(at: index) }
            // A broadcast at or below a snapshot's revision is already in the snapshot.
            let stale = updateVector.map { $0 <= vector && synchronized } ?? false
            if !stale {
                for cell in cells { cell.apply(to: &confirmed) }
                if let updateVector { vector = updateVector }
            }
            if mine != nil, let operationID { return .acknowledged(operationID: operationID) }
            if self.user.matches(user) { return .ownUndoApplied }
            return .applied(operationID: operationID)
        case .authorizationDenied(let operationID?, _):
            guard let index = pending.firstIndex(where: { $0.operationID == operationID }) else {
                return .ignored
            }
            pending.remove(at: index)
            return .rejected(operationID: operationID, reason: "authorization_denied")
        case .rejected(let operationID, let reason):
            guard let index = pending.firstIndex(where: { $0.operationID == operationID }) else {
                return .ignored
            }
            pending.remove(at: index)
            return .rejected(operationID: operationID, reason: reason)
        case .stateSync(let cells, let updateVector):
            // Pending operations stay: each still gets its own answer. (An operation whose base
            // was too old is refused with `operation_rejected` before this sync arrives.)
            applySnapshot(cells: cells, vector: updateVector)
            return .resynchronized
        case .stateCorrection(let updateVector):
            if let updateVector, updateVector <= vector { return .ignored }
            return .needsResync
        case .resyncResponse, .history, .error, .other, .authorizationDenied, .currentPresenter:
            return .ignored
        }
    }

    /// A new connection is being opened: its join state is the baseline, not an answer to one of
    /// our operations.
    public mutating func rejoining() { synchronized = false }

    /// Drops pending operations sent before `deadline` (never answered); returns their ids.
    public mutating func expirePending(sentBefore deadline: Duration) -> [String] {
        let expired = pending.filter { $0.sentAt < deadline }.map(\.operationID)
        if !expired.isEmpty { pending.removeAll { $0.sentAt < deadline } }
        return expired
    }
}
