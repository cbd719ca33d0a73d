import CollabCore

/// One accepted operation as journaled: its server copy carries every changed cell whole (or its
/// removal), so replaying records in revision order over a snapshot rebuilds the diagram.
public struct OperationRecord: Sendable, Equatable {
    public var threatModelID: String
    public var diagramID: String
    public var revision: Int64
    public var message: DiagramOperationMessage
}

extension OperationRecord {
    /// The cells to insert or replace, whole, in broadcast order (the store's `patchCells` form).
    public var upserts: [JSONValue] { message.cells.compactMap { $0.kind == .remove ? nil : $0.data } }
    /// The ids of the cells removed (cascaded edge removals included).
    public var removals: [String] { message.cells.filter { $0.kind == .remove }.map(\.id) }
}

/// An immutable copy of a session's diagram for compaction into a snapshot.
public struct DiagramSnapshot: Sendable, Equatable {
    public var threatModelID: String
    public var diagramID: String
    public var state: DiagramState
}

/// Where a session makes its operations durable (DESIGN §6 Persistence, §7).
///
/// `append` must not return before the record is durable (journaled and fsynced, group commit
/// welcome): the session holds the operation's broadcast, which is also the sender's
/// acknowledgement, until it returns, so nothing acknowledged can be lost. If it throws
/// `OperationNotStored` (the store took the operation back), the session takes back the
/// operations after the stored revision and rejects them to their senders; any other error ends
/// the session (it can no longer promise durability) and clients resync from storage.
///
/// `append` is `nonisolated(nonsending)`: it starts on the session actor, so whatever it does
/// before its first suspension (enqueueing the record) happens in revision order.
///
/// `snapshotAvailable` is a hand-off, called from inside the actor: it must only enqueue the copy
/// (encoding and writing happen elsewhere, never on the actor's hot path).
public protocol SessionPersistence: Sendable {
    nonisolated(nonsending) func append(_ record: OperationRecord) async throws
    func snapshotAvailable(_ snapshot: DiagramSnapshot)
}

/// What `SessionPersistence.append` throws when the store refused the record because another
/// node took the diagram over (its fencing token is newer): the session ends with
/// `.ownershipLost`, and its clients are told to reconnect, instead of `.persistenceFailed`.
public struct SessionOwnershipLost: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Keeps nothing: for tests and for sessions whose durability is handled elsewhere.
public struct NoSessionPersistence: SessionPersistence {
    public init() {}
    public func append(_ record: OperationRecord) async throws {}
    public func snapshotAvailable(_ snapshot: DiagramSnapshot) {}
}
