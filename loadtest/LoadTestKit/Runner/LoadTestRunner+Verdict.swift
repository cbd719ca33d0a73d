import CollabCore

extension LoadTestRunner {
    /// Waits until every live editor has its answers (acks, rejections), bounded by
    /// `drainTimeout` (a fifth of it after Ctrl-C).
    func drain(_ editors: [Editor]) async {
        let limit = isInterrupted ? drainTimeout / 5 : drainTimeout
        _ = await waitUntil(clock.now() + limit) { editors.allSatisfy { $0.isDead || $0.isIdle } }
    }

    /// Compares every live editor's cells with the server's REST state, diagram by diagram.
    func verdict(_ editors: [Editor]) async -> ConvergenceVerdict {
        var checked = 0
        var byDiagram: [(DiagramTarget, [Editor])] = []
        for e in editors {
            if let i = byDiagram.firstIndex(where: { $0.0 == e.diagram }) {
                byDiagram[i].1.append(e)
            } else {
                byDiagram.append((e.diagram, [e]))
            }
        }
        for (target, group) in byDiagram {
            let live = group.filter { !$0.isDead }
            guard !live.isEmpty else { continue }
            checked += live.count
            let result = await verdict(target, live)
            if !result.converged {
                return ConvergenceVerdict(
                    converged: false, editorsChecked: checked, difference: result.difference)
            }
        }
        return ConvergenceVerdict(converged: true, editorsChecked: checked, difference: nil)
    }

    /// One diagram: read REST, wait until every editor has seen that revision (or, when REST gives
    /// none, until the editors agree on one that stops moving), compare. A difference is checked
    /// again a few times before it counts: a message still in flight (an undo the server applied
    /// just before the read) can make a converging run look divergent for a moment; a real
    /// divergence persists.
    func verdict(_ target: DiagramTarget, _ live: [Editor]) async -> ConvergenceVerdict {
        let reader = live[0]
        let deadline = clock.now() + drainTimeout
        var lastVectors: [Int] = []
        var attemptsLeft = 4
        while true {
            let server: (cells: [JSONValue], vector: Int?)
            do {
                server = try await api.diagram(
                    threatModel: target.threatModel, diagram: target.diagram, login: reader.login)
            } catch {
                reader.context.metrics.update { $0.error("final read of \(target.diagram): \(error)") }
                return ConvergenceVerdict(converged: false, editorsChecked: live.count, difference: nil)
            }
            let vectors = live.map(\.vector)
            let caughtUp: Bool
            if let v = server.vector {
                caughtUp = vectors.allSatisfy { $0 >= v }
            } else {
                caughtUp = Set(vectors).count == 1 && vectors == lastVectors
            }
            lastVectors = vectors
            let timedOut = clock.now() >= deadline
            if caughtUp || timedOut {
                let result = CellComparison.verdict(
                    editors: live.map { ($0.name, $0.confirmedCells) }, serverCells: server.cells)
                attemptsLeft -= 1
                if result.converged || attemptsLeft == 0 || timedOut { return result }
            }
            do { try await clock.sleep(until: clock.now() + .milliseconds(50)) } catch {
                return .init(converged: false, editorsChecked: live.count, difference: nil)
            }
        }
    }

    /// Polls `condition` every 20 ms until it holds or `deadline` passes.
    func waitUntil(_ deadline: Duration, _ condition: () -> Bool) async -> Bool {
        while !condition() {
            guard clock.now() < deadline else { return false }
            do { try await clock.sleep(until: clock.now() + .milliseconds(20)) } catch { return condition() }
        }
        return true
    }
}
