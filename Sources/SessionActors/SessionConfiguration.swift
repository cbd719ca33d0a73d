import CollabCore

/// Limits and tuning of one session; each exceeded limit is answered with a clear `error`.
public struct SessionConfiguration: Sendable {
    /// Largest client message accepted, in bytes (the catalogue's 4 KB is too small for a batch
    /// of whole cells, so the default is larger).
    public var maxMessageBytes: Int
    /// Connections allowed in one session at once.
    public var maxParticipants: Int
    /// Connections one user may hold in one session (several tabs), so one user cannot fill it.
    public var maxConnectionsPerUser: Int
    /// Presenter cursor messages per second (average) and burst.
    public var cursorRate: Double
    public var cursorBurst: Double
    /// Presenter selection messages per second (average) and burst.
    public var selectionRate: Double
    public var selectionBurst: Double
    /// Read-only console observers of one session at once (docs/console.md).
    public var maxObservers: Int = 20
    /// A snapshot copy is handed to persistence every this many accepted operations.
    public var snapshotEvery: Int
    public var engine: DiagramEngine.Configuration
    /// The rule each added or changed cell must satisfy (the spec's, by default).
    public var cellValidator: CellValidator

    public init(
        maxMessageBytes: Int = 256 * 1024, maxParticipants: Int = 500, maxConnectionsPerUser: Int = 5,
        cursorRate: Double = 30,
        cursorBurst: Double = 10, selectionRate: Double = 10, selectionBurst: Double = 5,
        snapshotEvery: Int = 500,
        engine: DiagramEngine.Configuration = .init(), cellValidator: CellValidator = .spec
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxParticipants = maxParticipants
        self.maxConnectionsPerUser = maxConnectionsPerUser
        self.cursorRate = cursorRate
        self.cursorBurst = cursorBurst
        self.selectionRate = selectionRate
        self.selectionBurst = selectionBurst
        self.snapshotEvery = snapshotEvery
        self.engine = engine
        self.cellValidator = cellValidator
    }
}
