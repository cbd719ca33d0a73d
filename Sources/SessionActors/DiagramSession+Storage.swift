import CollabCore

/// Thrown by `SessionPersistence.append` when an operation could not be stored (a full disk, an
/// I/O error, a backend that refused it) and the store has taken it back: the session then takes
/// back every operation after `durableRevision` instead of ending (issue 16, a full disk).
/// `durableRevision` is the diagram's revision as stored now. Any other error ends the session.
public struct OperationNotStored: Error, Sendable, Equatable {
    /// The diagram's revision in the store after the failed operations were taken back.
    public var durableRevision: Int64
    public var diskFull: Bool
    /// Why, for the rejection's `message` (never carries credentials or paths).
    public var reason: String

    public init(durableRevision: Int64, diskFull: Bool, reason: String) {
        self.durableRevision = durableRevision
        self.diskFull = diskFull
        self.reason = reason
    }
}

/// A failed store write rejected to its sender, not the end of the session.
///
/// Operations are applied and sequenced before they are durable, so by the time storage refuses
/// one, later ones may have been applied on top of it; the store took all of them back. The
/// session does the same (`DiagramEngine.rollBack`, from the log's pre-images), drops their held
/// broadcasts (nobody saw them: delivery waits for durability), and sends each sender an
/// `operation_rejected` with `requires_resync`. Messages that were held behind them and carry no
/// diagram state go out; a held `diagram_state_sync` is replaced by one of the rolled-back state.
/// Each rollback starts a new storage epoch: a failure reported later for an operation of an
/// earlier epoch was already handled (its revision may now name a newer operation).
extension DiagramSession {
    func takeBack(after failure: OperationNotStored) {
        let target = failure.durableRevision
        guard !isEnded else { return }
        guard target >= delivery.durableRevision, let undone = engine.rollBack(to: target), !undone.isEmpty
        else {
            // The store kept it (a backend that cannot take changes back), or the log no longer
            // reaches back: the old rule, end the session, clients resync from storage.
            end(.persistenceFailed)
            return
        }
        storageEpoch += 1
        let held = delivery.removePending(after: target)
        var syncTo: [any ParticipantOutbox] = []
        for p in held {
            switch p.message.messageType {
            case "diagram_operation", "history_operation": continue
            case "diagram_state_sync": syncTo += p.recipients
            default: p.recipients.send(p.message)
            }
        }
        if !syncTo.isEmpty { deliver(stateSync, to: syncTo) }
        let why =
            failure.diskFull
            ? "the server's disk is full: the operation was not stored and was taken back"
            : "the server could not store the operation (\(failure.reason)); it was taken back"
        for entry in undone {
            metrics.recordRejected(stateSync: false)
            guard let sender = participants[entry.origin] else { continue }
            let rejection = OperationRejection(
                .conflictDetected, why, affectedCells: entry.changes.map(\.id), requiresResync: true,
                notStored: failure.diskFull ? .diskFull : .unavailable)
            deliver(
                .operationRejected(
                    operationID: entry.operationID, rejection: rejection, timestamp: timestamp()),
                to: [sender.outbox])
        }
        changes?.notify()
    }
}

extension DeliveryQueue {
    /// Removes the held messages produced after `revision` (a rollback) and returns them in
    /// order; revisions after it are no longer pending durability.
    mutating func removePending(after revision: Int64) -> [Pending] {
        let kept = pending[head...].filter { $0.after <= revision }
        let removed = pending[head...].filter { $0.after > revision }
        pending = Array(kept)
        head = 0
        completed = completed.filter { $0 <= revision }
        return removed
    }
}
