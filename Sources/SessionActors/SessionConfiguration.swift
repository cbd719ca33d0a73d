import CollabCore

/// Limits and tuning of one session; each exceeded limit is answered with a clear `error`.
public struct SessionConfiguration: Sendable {
    /// Largest client message accepted, in bytes (the catalogue's 4 KB is too small for a batch
    /// of whole cells, so the default is larger).
    public var maxMessageBytes: Int
    /// Connections allowed in one session at once.
    public var maxParticipants: Int
    /// Up to this many connections, every join and leave sends the whole roster
    /// (`participants_update`) to everyone. Beyond it the roster goes to the joiner only and the
    /// others rely on `participant_joined`/`participant_left` (plus a roster when the host
    /// changes): sending an n-entry roster to n participants on each of n joins is O(n³) bytes,
    /// gigabytes for a few hundred editors.
    public var rosterBroadcastLimit = 50
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
    /// Messages of any kind one connection may send per second (average) and at once. Generous for
    /// people and `tmi-loadtest` (2 operations per second per editor by default); past it messages
    /// are dropped and the sender is told once (`rate_limited`, `message_rate_exceeded`).
    public var messageRate: Double = 100
    public var messageBurst: Double = 200
    /// Dropped messages a connection may accumulate (refilled at a tenth of `messageRate`) before it
    /// is closed with 1008: a client that ignores the warning and keeps flooding is cut off.
    public var floodTolerance: Double = 200
    /// The operation log (how far back a `base_vector` may reach before its sender needs a full
    /// state sync) keeps at least `engine.logCapacity` messages, and grows to this many per
    /// participant as people join, up to `maxLogCapacity`. Everyone's operations go into one
    /// log, so its reach in seconds is capacity / (participants x rate): a fixed 256 covered 0.5 s
    /// for 500 editors at 1 op/s, and any client later than that was refused and sent the whole
    /// diagram, which made the server later still (issue 15). 8 per participant keeps about 8 s
    /// at one operation per second each; set it to 0 to pin the log at `engine.logCapacity`.
    public var logEntriesPerParticipant = 8
    public var maxLogCapacity = 4096
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
