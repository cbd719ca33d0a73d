import CollabCore
import SessionActors
import Storage

/// Makes a live session's operations durable through the threat-model store: each accepted
/// operation becomes one small `patch_cells` journal record (the changed cells whole, removed ids,
/// the new revision), so REST reads see the live diagram and a restart replays every
/// acknowledged operation. One journal and one group commit serve REST writes and live edits.
///
/// With several nodes, `fence` is the ownership token this node took with the diagram's lease:
/// every record carries it, and a record the store refuses as stale (a newer owner exists)
/// ends the session with `SessionOwnershipLost` so its clients reconnect to the new owner.
struct StoreSessionPersistence: SessionPersistence {
    let store: ThreatModelStore
    var fence: UInt64? = nil
    /// Whether this node still holds the diagram's lease (checked against the clock, so it
    /// turns false at two thirds of the TTL without a confirmed renewal, before Redis could give
    /// the lease to another node): an owner that cannot renew stops taking operations.
    var stillOwner: (@Sendable () -> Bool)? = nil

    /// Runs on the session actor up to `waitDurable`, so records are enqueued in revision order.
    nonisolated(nonsending) func append(_ record: OperationRecord) async throws {
        let mutation = StoreMutation.patchCells(
            model: record.threatModelID, diagram: record.diagramID, upserts: record.upserts,
            removes: record.removals, updateVector: Int(record.revision))
        if let stillOwner, !stillOwner() {
            throw SessionOwnershipLost("this node's lease on diagram \(record.diagramID) is no longer valid")
        }
        var batch: [StoreMutation] = [mutation]
        if let fence {
            batch.insert(.fence(model: record.threatModelID, diagram: record.diagramID, token: fence), at: 0)
            // The next owner's de-duplication (several nodes only).
            if let applied = AppliedOperation(broadcast: record.message) {
                batch.append(
                    .recordOperation(
                        model: record.threatModelID, diagram: record.diagramID,
                        operationID: applied.operationID,
                        revision: Int(record.revision), entry: applied.json))
            }
        }
        let (_, ticket) = try store.commit(
            { state throws(any Error) in
                guard state.models[record.threatModelID]?.children[.diagrams]?[record.diagramID] != nil else {
                    throw APIError.notFound("diagram \(record.diagramID) no longer exists")
                }
                return ((), batch)
            }, unavailable: Self.refusal)
        try await store.waitDurable(ticket, unavailable: Self.refusal)
    }

    /// A fenced refusal ends the session as "moved" (clients reconnect); anything else is the
    /// gateway's 503 and ends it as a persistence failure.
    static func refusal(_ e: StoreUnavailable) -> any Error {
        e.isFenced ? SessionOwnershipLost(e.reason) : APIError.storeUnavailable(e)
    }

    /// The store compacts its own journal into snapshots; a session's copies are not needed.
    func snapshotAvailable(_ snapshot: DiagramSnapshot) {}
}
