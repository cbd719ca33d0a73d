import CollabCore

/// The receiving half of an editor: apply server messages to the model and turn each outcome
/// into metrics; reconnect when the connection drops mid-run.
extension Editor {
    static let maxReconnects = 3

    func readLoop() async {
        while true {
            guard let socket else { return }
            let text: String?
            do { text = try await socket.receive() } catch { text = nil }
            guard let text else {
                if state.withLock({ $0.stopping }) { return }
                guard await reconnect() else { return }
                continue
            }
            await handle(text)
        }
    }

    func handle(_ text: String) async {
        let now = context.clock.now()
        context.metrics.update { $0.messageIn(at: now) }
        guard let message = SessionMessage.parse(text: text) else {
            context.metrics.update { $0.error("\(name): unparseable message: \(text.prefix(120))") }
            return
        }
        let outcome = state.withLock { s -> ClientDiagramModel.Outcome in
            if case .currentPresenter(let user) = message {
                s.generator.isPresenter = login.user.matches(user)
            }
            return s.model.apply(message)
        }
        if case .authorizationDenied(_, let reason) = message {
            context.metrics.update { $0.error("\(name): authorization_denied (\(reason))") }
        }
        switch outcome {
        case .applied(let id):
            if let id {
                let (node, relayed) = (context.node, context.relayed)
                context.metrics.update {
                    $0.operationReceived(id: id, isOriginator: false, at: now, node: node, relayed: relayed)
                }
            }
        case .acknowledged(let id):
            context.metrics.update { $0.operationReceived(id: id, isOriginator: true, at: now) }
        case .rejected(let id, let reason):
            context.metrics.update { $0.operationRejected(id: id, reason: reason) }
        case .needsResync:
            let now = context.clock.now()
            context.metrics.update { $0.otherMessageOut(at: now, kind: .control) }
            do { try await send(.resyncRequest) } catch { await connectionLost("send failed: \(error)") }
        case .resynchronized, .ownUndoApplied, .ignored:
            if case .error(let code, let text) = message {
                // A throttled cursor is the server doing its job, not a failure of the run.
                if code == "rate_limited" {
                    context.metrics.update { $0.throttled() }
                } else {
                    context.metrics.update { $0.error("\(name): server error \(code): \(text)") }
                }
            }

        }
    }

    /// Replaces the model's cells with the REST state (only for an editor that got no join state);
    /// broadcasts up to its revision that arrive later are then skipped by the model.
    func resyncFromREST() async {
        do {
            let (cells, vector) = try await context.api.diagram(
                threatModel: diagram.threatModel, diagram: diagram.diagram, login: login)
            state.withLock { $0.model.applySnapshot(cells: cells, vector: vector) }
        } catch {
            context.metrics.update { $0.error("\(name): resync failed: \(error)") }
        }
    }

    /// Called when a send fails: the read loop notices the closed socket and reconnects.
    func connectionLost(_ reason: String) async {
        context.metrics.update { $0.error("\(name): \(reason)") }
        await socket?.close()
    }

    /// A few attempts to reopen the WebSocket. The server's join state replaces the cells; our
    /// pending operations are resent with their original ids (the server applies an id once).
    func reconnect() async -> Bool {
        state.withLock { $0.reconnecting = true }
        defer { state.withLock { $0.reconnecting = false } }
        for attempt in 1...Self.maxReconnects {
            context.metrics.update { $0.reconnect() }
            do {
                try await context.clock.sleep(until: context.clock.now() + .milliseconds(100 * attempt))
                let applied = state.withLock { s in
                    s.model.rejoining()
                    return s.model.vector
                }
                try await connect(resumeFrom: applied)
                let resend = state.withLock { s in s.model.pending }
                for op in resend {
                    try await send(
                        .operation(id: op.operationID, baseVector: nil, cells: op.cells, user: login.user))
                }
                return true
            } catch {
                if state.withLock({ $0.stopping }) { return false }
                context.metrics.update { $0.error("\(name): reconnect \(attempt) failed: \(error)") }
            }
        }
        state.withLock { $0.dead = true }
        return false
    }
}
