import CollabCore

/// Entry point for client messages: size limit, decoding, identity, then dispatch by type.
extension DiagramSession {
    /// Handles one client message (a WebSocket text frame's payload) from a joined connection.
    /// Messages from unknown connections (already left or removed) are ignored.
    public func receive(_ bytes: [UInt8], from connectionID: String) async {
        guard !isEnded, let p = touch(connectionID), admitMessage(from: p) else { return }
        guard bytes.count <= configuration.maxMessageBytes else {
            sendError(
                "message_too_large",
                "message of \(bytes.count) bytes exceeds \(configuration.maxMessageBytes)",
                code: "message_too_large", to: p.outbox)
            return
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            sendError("invalid_message", "message is not valid JSON", code: "invalid_json", to: p.outbox)
            return
        }
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(json)
        } catch {
            reportUndecodable(json, error, to: p)
            return
        }
        await handle(message, from: p)
    }

    /// Handles an already-decoded message (the gateway may decode off the actor).
    public func receive(_ message: ClientMessage, from connectionID: String) async {
        guard !isEnded, let p = touch(connectionID), admitMessage(from: p) else { return }
        await handle(message, from: p)
    }

    private func touch(_ connectionID: String) -> Participant? {
        guard participants[connectionID] != nil else { return nil }
        let now = clock.now()
        participants[connectionID]?.lastActivity = now
        lastActivity = now
        return participants[connectionID]
    }

    /// A `diagram_operation` that names its `operation_id` gets `operation_rejected` (so the client
    /// can drop it from its pending list); anything else gets `error`.
    private func reportUndecodable(_ json: JSONValue, _ error: CollabMessageError, to p: Participant) {
        if json["message_type"] == "diagram_operation", let opID = json["operation_id"]?.stringValue {
            let reason: OperationRejection.Reason =
                switch error {
                case .emptyOperation: .emptyOperation
                case .invalidOperationType: .invalidOperationType
                default: .validationFailed
                }
            deliver(
                .operationRejected(
                    operationID: opID, rejection: OperationRejection(reason, error.description),
                    timestamp: timestamp()),
                to: [p.outbox])
            return
        }
        let code: String =
            if case .unknownMessageType = error { "unknown_message_type" } else { "invalid_message" }
        sendError("invalid_message", error.description, code: code, to: p.outbox)
    }

    /// A message's user fields must name the sender's authenticated identity; the server never
    /// acts on a claim to be someone else.
    private func claimIsSender(_ claim: UserClaim?, _ p: Participant) -> Bool {
        claim?.matches(p.user) ?? true
    }

    private func refuseImpersonation(_ p: Participant) {
        sendError(
            "invalid_user", "initiating_user does not match your identity", code: "invalid_user", to: p.outbox
        )
    }

    private func handle(_ message: ClientMessage, from p: Participant) async {
        switch message {
        case .diagramOperation(let m):
            guard claimIsSender(m.initiatingUser, p) else {
                deliver(
                    .authorizationDenied(operationID: m.operationID, reason: "invalid_user"), to: [p.outbox])
                return
            }
            guard p.identity.role == .writer else {
                deliver(
                    .authorizationDenied(operationID: m.operationID, reason: "insufficient_permissions"),
                    to: [p.outbox])
                return
            }
            await applyOperation(m, from: p)
        case .undoRequest(let claim), .redoRequest(let claim):
            guard claimIsSender(claim, p) else { return refuseImpersonation(p) }
            guard p.identity.role == .writer else {
                sendError(
                    "unauthorized", "readers cannot undo or redo", code: "insufficient_permissions",
                    to: p.outbox)
                return
            }
            let direction: DiagramEngine.HistoryDirection =
                if case .undoRequest = message { .undo } else { .redo }
            await applyHistory(direction, from: p)
        case .resyncRequest:
            deliver(.resyncResponse(diagramID: diagramID, threatModelID: threatModelID), to: [p.outbox])
            deliver(stateSync, to: [p.outbox])
        case .presenterRequest:
            requestPresenter(p)
        case .changePresenter(let claim, let newPresenter):
            guard claimIsSender(claim, p) else { return refuseImpersonation(p) }
            changePresenter(to: newPresenter, by: p)
        case .presenterCursor(let x, let y):
            relayPresence(.presenterCursor(x: x, y: y), from: p, limiter: \.cursorLimiter)
        case .presenterSelection(let cells):
            recordSelection(cells, of: p)
            relayPresence(.presenterSelection(cells: cells), from: p, limiter: \.selectionLimiter)
        case .removeParticipant(let claim, let removed):
            guard claimIsSender(claim, p) else { return refuseImpersonation(p) }
            removeParticipant(removed, by: p)
        }
    }
}
