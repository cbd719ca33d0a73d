import CollabCore

/// `diagram_operation`, `undo_request` and `redo_request`: the engine decides, the session replies.
extension DiagramSession {
    /// Submits a writer's operation. Accepted: broadcast to everyone once durable (the sender's copy
    /// is its ack). Duplicate `operation_id`: the sender alone gets its acknowledgement again, with
    /// the cells as they now stand. Rejected: `operation_rejected` to the sender,
    /// plus `state_correction` when an edge lost its endpoint. Base too old: `operation_rejected`
    /// with `requires_resync` followed by `diagram_state_sync`.
    func applyOperation(_ m: DiagramOperationMessage, from p: Participant) async {
        let start = ContinuousClock.now
        switch engine.submit(m, user: p.user, origin: p.identity.connectionID) {
        case .accepted(let accepted):
            await publish(accepted, sender: p.outbox)
            metrics.recordApplied(since: start)
        case .duplicate(let ack):
            metrics.recordDuplicate()
            deliver(.diagramOperation(ack), to: [p.outbox])
        case .rejected(let rejection):
            metrics.recordRejected(stateSync: false)
            deliver(
                .operationRejected(operationID: m.operationID, rejection: rejection, timestamp: timestamp()),
                to: [p.outbox])
            if rejection.stateCorrection {
                deliver(.stateCorrection(updateVector: engine.revision), to: [p.outbox])
            }
        case .needsStateSync:
            metrics.recordRejected(stateSync: true)
            let rejection = OperationRejection(
                .conflictDetected,
                "base_vector \(m.baseVector.map(String.init) ?? "?") is outside the session history (now \(engine.revision))",
                requiresResync: true)
            deliver(
                .operationRejected(operationID: m.operationID, rejection: rejection, timestamp: timestamp()),
                to: [p.outbox])
            deliver(stateSync, to: [p.outbox])
        }
    }

    /// Undo or redo becomes an ordinary operation broadcast to everyone; the requester then gets
    /// `history_operation` (the catalogue has `resync_required` as its only success value; the
    /// client already has the result from the broadcast, so resyncing is harmless but unneeded).
    func applyHistory(_ direction: DiagramEngine.HistoryDirection, from p: Participant) async {
        let outcome = engine.history(
            direction, user: p.user, origin: p.identity.connectionID, operationID: makeOperationID())
        switch outcome {
        case .applied(let accepted):
            await publish(
                accepted, thenToSender: [.historyOperation(direction: direction, message: "resync_required")],
                sender: p.outbox)
        case .nothingToDo:
            let message = direction == .undo ? "no_operations_to_undo" : "no_operations_to_redo"
            deliver(.historyOperation(direction: direction, message: message), to: [p.outbox])
        }
    }

    /// Applies a change made outside the WebSocket (a REST PUT or PATCH of the diagram) as an
    /// ordinary operation by `user`, so it reaches every participant (DESIGN §6). Returns the
    /// engine's outcome once the operation is durable and broadcast (or was refused).
    public func applyServerOperation(_ cells: [CellOperation], by user: CollabUser) async -> SubmitOutcome {
        guard !isEnded else {
            return .rejected(OperationRejection(.diagramNotFound, "the session has ended"))
        }
        let message = DiagramOperationMessage(operationID: makeOperationID(), cells: cells)
        let outcome = engine.submit(message, user: user, origin: "server")
        if case .accepted(let accepted) = outcome, let failure = await publish(accepted, sender: nil) {
            return .rejected(
                OperationRejection(
                    .conflictDetected, "the change could not be stored: \(failure.reason)",
                    notStored: failure.diskFull ? .diskFull : .unavailable))
        }
        return outcome
    }
}
