/// The pure collaboration engine of one diagram: the single sequencer of DESIGN §6.
///
/// It owns the cells and revision (`DiagramState`), the bounded `OperationLog` with pre-images,
/// the applied `operation_id`s, and per-user undo/redo stacks. Every method is synchronous and
/// deterministic (no clocks, no I/O, no randomness): the session actor calls it and does the
/// sending, which keeps transform + apply + revision bump one uninterrupted step.
///
/// The rules, each documented where it is enforced:
/// - transform of an `update` against the client's base: `DiagramEngine+Submit.swift`
/// - property paths, arrays atomic: `PropertyDelta.swift`
/// - rebuilding the cell as the client saw it: `OperationLog.cellAsSeen`
/// - edges and their endpoints: `DiagramEngine+Edges.swift`
/// - each changed cell obeys the spec's cell rules: `CellValidator.swift`
/// - selective per-user undo/redo: `DiagramEngine+History.swift`
public struct DiagramEngine: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// How many accepted messages the log keeps (how far back a `base_vector` may be).
        public var logCapacity: Int
        /// How many applied `operation_id`s are remembered for de-duplication.
        public var rememberedOperationIDs: Int
        /// Undo (and redo) depth per user: at least this many are kept (trimmed back in batches).
        public var undoDepth: Int

        /// Most cells the diagram may hold, as REST allows (`DiagramRules.maxCells`).
        public var maxCells: Int

        public init(
            logCapacity: Int = 256, rememberedOperationIDs: Int = 4096, undoDepth: Int = 100,
            maxCells: Int = DiagramRules.maxCells
        ) {
            self.maxCells = maxCells
            self.logCapacity = logCapacity
            self.rememberedOperationIDs = rememberedOperationIDs
            self.undoDepth = undoDepth
        }
    }

    public internal(set) var state: DiagramState
    public internal(set) var log: OperationLog
    var applied: AppliedOperationIDs
    var histories: [String: UserHistory] = [:]
    let undoDepth: Int
    let maxCells: Int
    let validator: CellValidator

    public init(state: DiagramState, configuration: Configuration = .init(), validator: CellValidator = .spec)
    {
        self.state = state
        self.validator = validator
        log = OperationLog(capacity: configuration.logCapacity, startingAt: state.revision)
        applied = AppliedOperationIDs(capacity: configuration.rememberedOperationIDs)
        undoDepth = max(0, configuration.undoDepth)
        maxCells = configuration.maxCells
    }

    public var revision: Int64 { state.revision }

    /// Widens the operation log to keep at least `capacity` messages (see `OperationLog.grow`).
    public mutating func growLog(to capacity: Int) { log.grow(to: capacity) }

    /// Applies a client's `diagram_operation` sent by `user` over the connection `origin`.
    ///
    /// `origin` names the client's stream of operations (the connection): operations from one
    /// origin are assumed to arrive in the order they were sent, which is what lets the engine
    /// rebuild that client's optimistic view (its own unacknowledged operations over its base).
    /// The server's copy carries `user` as `initiating_user`, whatever the client claimed.
    public mutating func submit(_ message: DiagramOperationMessage, user: CollabUser, origin: String)
        -> SubmitOutcome
    {
        submit(message, user: user, origin: origin, recording: .newOperation)
    }
}

/// One user's undo and redo stacks of applied changes.
struct UserHistory: Sendable {
    var undo: [[CellChange]] = []
    var redo: [[CellChange]] = []
}
