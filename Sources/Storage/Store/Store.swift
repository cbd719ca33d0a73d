import CollabCore

/// The store boundary (DESIGN §2, §7, §11): where the server's threat models, their children,
/// metadata and live diagram cells become durable, and where they are loaded from at start.
///
/// A backend does not decide anything. `ThreatModelStore` keeps the whole state in memory and
/// decides every change (404, 409, read-only fields, PATCH atomicity) under one lock, then hands
/// the change to its `Store` as an ordered batch of mutations. So the rules are identical across
/// backends by construction, and a backend only has to (1) keep batches in the order it received
/// them, (2) make each batch durable whole or not at all, and (3) give every durable batch back
/// when the server starts again. Implementations: `EmbeddedStore` (journal + JSON snapshots, the
/// default) and the PostgreSQL backend.
public protocol Store: Sendable {
    /// Queues a batch and returns a ticket for `waitDurable`. Called inside `ThreatModelStore`'s
    /// lock, so batches arrive in exactly the order they were applied in memory: it must not
    /// block or suspend. Throwing refuses the change before anything was applied in memory, so a
    /// backend that knows it cannot write now (database down, journal unusable) throws here.
    func enqueue(_ batch: [StoreMutation]) throws(StoreUnavailable) -> UInt64
    /// Suspends until the ticket's batch, and every batch before it, is durable.
    func waitDurable(_ ticket: UInt64) async throws(StoreUnavailable)
    /// Batches between two calls of `snapshot`; nil when the backend has no use for snapshots
    /// (a database keeps rows, not a log to compact).
    var snapshotEvery: Int? { get }
    /// Takes an immutable copy of the state as of `ticket` to compact into (never called on the
    /// hot path: `ThreatModelStore` runs it detached). Failing loses nothing: the batches stay.
    func snapshot(_ state: StoreState, through ticket: UInt64) async
    /// Flushes what is queued and closes; later enqueues fail.
    func close() async
    /// Whether an enqueue now would be made durable (open, no failed write, database reachable):
    /// the server's `/readyz` reports it.
    var acceptsWrites: Bool { get }
    /// Every batch up to this ticket is durable. Nil: the backend cannot take back a failed
    /// batch, so `ThreatModelStore` does not track durability for it (and never resumes it).
    var durableTicket: UInt64? { get }
    /// While a failed write is not resumed: the ticket up to which everything is durable; every
    /// batch after it is lost and enqueues are refused. Nil otherwise.
    var failedThrough: UInt64? { get }
    /// After a failed write: forget every batch that is not durable and accept writes again;
    /// returns `failedThrough`, or nil when nothing failed (or the backend cannot resume).
    /// Called inside `ThreatModelStore`'s lock once the lost batches are taken back: must not
    /// block.
    func resumeAfterFailure() -> UInt64?
    /// True when other processes write the same data (PostgreSQL): `loadModel` is then meaningful.
    var isShared: Bool { get }
    /// The threat model `id` (absent when it does not exist) and its diagrams' fencing marks as
    /// they are durable now, in a `StoreState` holding nothing else (see `ThreatModelStore.refresh`).
    func loadModel(_ id: String) async throws(StoreUnavailable) -> StoreState
    /// `loadModel`, with the model's revision in the backend (nil when it is absent or the
    /// backend keeps none): the copy is at least as new as that revision.
    func loadRevisedModel(_ id: String) async throws(StoreUnavailable) -> (state: StoreState, revision: Int?)
    /// Every durable model's id and revision; a revision changes with every change to the model
    /// that its list entry or its children show (not with a live session's cells). Empty from a
    /// backend that keeps none. What `ThreatModelStore.refreshChanged` compares with memory.
    func modelRevisions() async throws(StoreUnavailable) -> [String: Int]
    /// The revisions of the models `open` loaded (what memory starts from); empty when none.
    var revisionsAtOpen: [String: Int] { get }
    /// The newest `limit` operations recorded for a diagram (`StoreMutation.recordOperation`
    /// entries), for the next owner's de-duplication; empty from a backend that keeps none.
    func recentOperations(model: String, diagram: String, limit: Int) async throws(StoreUnavailable)
        -> [JSONValue]
}

extension Store {
    public var acceptsWrites: Bool { true }
    public var durableTicket: UInt64? { nil }
    public var failedThrough: UInt64? { nil }
    public func resumeAfterFailure() -> UInt64? { nil }
    /// A backend private to one process (embedded) is never shared and never asked to reload.
    public var isShared: Bool { false }
    public func loadModel(_ id: String) async throws(StoreUnavailable) -> StoreState { StoreState() }
    public func loadRevisedModel(_ id: String) async throws(StoreUnavailable) -> (
        state: StoreState, revision: Int?
    ) {
        (try await loadModel(id), nil)
    }
    public func modelRevisions() async throws(StoreUnavailable) -> [String: Int] { [:] }
    public var revisionsAtOpen: [String: Int] { [:] }
    public func recentOperations(model: String, diagram: String, limit: Int) async throws(StoreUnavailable)
        -> [JSONValue]
    { [] }
}

/// A change could not be made durable now. Nothing was acknowledged; the caller answers 503
/// (or 507 for a full disk) and the client may try again after `retryAfterSeconds`.
public struct StoreUnavailable: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why, for logs and the error body (never carries credentials).
    public var reason: String
    /// The disk (or quota) is full: only more space helps.
    public var isDiskFull: Bool
    /// A hint for `Retry-After`.
    public var retryAfterSeconds: Int
    /// The batch carried a fencing token older than the newest its diagram has seen: another
    /// node owns the diagram now. Retrying cannot help; the session must stop (DESIGN §11).
    public var isFenced = false

    public init(_ reason: String, isDiskFull: Bool = false, retryAfterSeconds: Int = 1) {
        self.reason = reason
        self.isDiskFull = isDiskFull
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The refusal of a batch whose fencing token is older than its diagram's newest.
    public static func fenced(_ reason: String) -> StoreUnavailable {
        var e = StoreUnavailable(reason)
        e.isFenced = true
        return e
    }

    public var description: String { reason }
}
