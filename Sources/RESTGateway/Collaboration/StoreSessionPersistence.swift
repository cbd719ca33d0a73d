import CollabCore
import SessionActors
import Storage

/// Makes a live session's operations durable through the threat-model store: each accepted
/// operation becomes one small `patch_cells` journal record (the changed cells whole, removed ids,
/// the new revision), so REST reads see the live diagram and a restart replays every
/// acknowledged operation. One journal and one group commit serve REST writes and live edits.
///
/// A record is stored only on top of its predecessor: the diagram's stored `update_vector` must
/// be the record's revision minus one. After a failed write the store takes the lost records back
/// (`ThreatModelStore`), so the session's next records no longer follow on and are refused too,
/// until the session has taken the same operations back; the error says where the store stands
/// (`OperationNotStored`), and the session rolls back to exactly there. So cells written on top of
/// an operation that was never stored can never reach the disk.
struct StoreSessionPersistence: SessionPersistence {
    let store: ThreatModelStore

    enum Refusal: Error {
        case gone(String)
        case behind(stored: Int64)
        case unavailable(StoreUnavailable)
    }

    /// Runs on the session actor up to `waitDurable`, so records are enqueued in revision order.
    nonisolated(nonsending) func append(_ record: OperationRecord) async throws {
        let mutation = StoreMutation.patchCells(
            model: record.threatModelID, diagram: record.diagramID, upserts: record.upserts,
            removes: record.removals, updateVector: Int(record.revision))
        let ticket: UInt64?
        do throws(Refusal) {
            (_, ticket) = try store.commit(
                { state throws(Refusal) in
                    guard
                        let diagram = state.models[record.threatModelID]?.children[.diagrams]?[
                            record.diagramID]
                    else { throw .gone("diagram \(record.diagramID) no longer exists") }
                    let stored = Self.revision(diagram)
                    guard stored == record.revision - 1 else { throw .behind(stored: stored) }
                    return ((), [mutation])
                }, unavailable: Refusal.unavailable)
        } catch {
            switch error {
            case .gone(let why): throw APIError.notFound(why)
            case .behind(let stored):
                throw OperationNotStored(
                    durableRevision: stored, diskFull: false,
                    reason: "an earlier operation could not be stored")
            case .unavailable(let failure): throw notStored(record, failure)
            }
        }
        do throws(StoreUnavailable) {
            try await store.waitDurable(ticket, unavailable: { $0 })
        } catch {
            throw notStored(record, error)
        }
    }

    /// The store has taken the record back by now (the failed waiter settles under the store's
    /// lock before throwing), so the diagram's stored revision is where the session rolls back to.
    private func notStored(_ record: OperationRecord, _ failure: StoreUnavailable) -> OperationNotStored {
        let stored = store.state.models[record.threatModelID]?.children[.diagrams]?[record.diagramID].map(
            Self.revision)
        return OperationNotStored(
            durableRevision: stored ?? record.revision, diskFull: failure.isDiskFull,
            reason: failure.isDiskFull ? "the disk is full" : "storage is unavailable")
    }

    static func revision(_ diagram: ChildRecord) -> Int64 {
        Int64(diagram.fields["update_vector"]?.doubleValue ?? 0)
    }

    /// The store compacts its own journal into snapshots; a session's copies are not needed.
    func snapshotAvailable(_ snapshot: DiagramSnapshot) {}
}
