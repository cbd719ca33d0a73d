import CollabCore
import SessionActors
import Storage

/// Makes a live session's operations durable through the threat-model store: each accepted
/// operation becomes one small `patch_cells` journal record (the changed cells whole, removed ids,
/// the new revision), so REST reads see the live diagram and a restart replays every
/// acknowledged operation. One journal and one group commit serve REST writes and live edits.
struct StoreSessionPersistence: SessionPersistence {
    let store: ThreatModelStore

    /// Runs on the session actor up to `waitDurable`, so records are enqueued in revision order.
    nonisolated(nonsending) func append(_ record: OperationRecord) async throws {
        let mutation = StoreMutation.patchCells(
            model: record.threatModelID, diagram: record.diagramID, upserts: record.upserts,
            removes: record.removals, updateVector: Int(record.revision))
        let (_, ticket) = try store.commit { state throws(APIError) in
            guard state.models[record.threatModelID]?.children[.diagrams]?[record.diagramID] != nil else {
                throw APIError.notFound("diagram \(record.diagramID) no longer exists")
            }
            return ((), [mutation])
        }
        try await store.waitDurable(ticket)
    }

    /// The store compacts its own journal into snapshots; a session's copies are not needed.
    func snapshotAvailable(_ snapshot: DiagramSnapshot) {}
}
