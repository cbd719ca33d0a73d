import CollabCore

/// The receiving half of an editor: apply server messages to the model and turn each outcome
/// into metrics; reconnect when the connection drops mid-run.
extension Editor {
    static let maxReconnects = 3

    func readLoop() async {
        await withTaskExecutorPreference(socket?.executor) { await readMessages() }
    }

    private func readMessages() async {
        while true {
            guard let socket else { return }
            let batch: [[UInt8]]?
            do { batch = try await socket.receiveBatch() } catch { batch = nil }
            guard let batch else {
                if state.withLock({ $0.stopping }) { return }
                guard await reconnect() else { return }
                continue
            }
            await handle(batch)
        }
    }

    /// Handles a burst of messages that arrived together: each is decoded once per diagram
    /// (`SharedDecoder`), applied to this editor's model in order under one lock, and the
    /// receipts are recorded in one metrics update. They were all read at one instant, so one
    /// clock reading timestamps them all.
    func handle(_ batch: [[UInt8]]) async {
        let now = context.clock.now()
        let messages = batch.map { decoder.decode($0) }
        let outcomes = state.withLock { s -> [ClientDiagramModel.Outcome] in
            messages.map { message in
                guard let message else { return .ignored }
                if case .currentPresenter(let user) = message {
                    s.generator.isPresenter = login.user.matches(user)
                }
                return s.model.apply(message)
            }
        }
        var resyncs = 0
        let (node, relayed) = (context.node, context.relayed)
        context.metrics.update { m in
            for (i, message) in messages.enumerated() {
                m.messageIn(at: now)
                guard let message else {
                    let text = String(decoding: batch[i].prefix(120), as: UTF8.self)
                    m.error("\(name): unparseable message: \(text)")
                    continue
                }
                if case .authorizationDenied(_, let reason) = message {
                    m.error("\(name): authorization_denied (\(reason))")
                }
                switch outcomes[i] {
                case .applied(let id):
                    if let id {
                        m.operationReceived(
                            id: id, isOriginator: false, at: now, node: node, relayed: relayed)
                    }
                case .acknowledged(let id):
                    m.operationReceived(id: id, isOriginator: true, at: now)
                case .rejected(let id, let reason):
                    m.operationRejected(id: id, reason: reason)
                case .needsResync:
                    resyncs += 1
                case .resynchronized, .ownUndoApplied, .ignored:
                    if case .error(let code, let text) = message {
                        // A throttled cursor is the server doing its job, not a failure of the run.
                        if code == "rate_limited" {
                            m.throttled()
                        } else {
                            m.error("\(name): server error \(code): \(text)")
                        }
                    }
                }
            }
        }
        for _ in 0..<resyncs {
            let now = context.clock.now()
            context.metrics.update { $0.otherMessageOut(at: now, kind: .control) }
            do { try await send(.resyncRequest) } catch { await connectionLost("send failed: \(error)") }
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
