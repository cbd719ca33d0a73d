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
                    return ((), batch)
                }, unavailable: Refusal.unavailable)
        } catch {
            switch error {
            case .gone(let why): throw APIError.notFound(why)
            case .behind(let stored):
                throw OperationNotStored(
                    durableRevision: stored, diskFull: false,
                    reason: "an earlier operation could not be stored")
            case .unavailable(let failure): throw refusal(record, failure)
            }
        }
        do throws(StoreUnavailable) {
            try await store.waitDurable(ticket, unavailable: { $0 })
        } catch {
            throw refusal(record, error)
        }
    }

    /// A fenced refusal ends the session as "moved" (clients reconnect to the new owner); any
    /// other failure is an operation not stored, which the session takes back.
    private func refusal(_ record: OperationRecord, _ failure: StoreUnavailable) -> any Error {
        failure.isFenced ? SessionOwnershipLost(failure.reason) : notStored(record, failure)
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
