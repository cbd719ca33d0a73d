import CollabCore

extension LoadTestRunner {
    /// Waits until every live editor has its answers (acks, rejections, undo replies), bounded by
    /// `drainTimeout` (a fifth of it after Ctrl-C).
    func drain(_ editors: [Editor]) async {
        let limit = isInterrupted ? drainTimeout / 5 : drainTimeout
        _ = await waitUntil(clock.now() + limit) { editors.allSatisfy { $0.isDead || $0.isIdle } }
    }

    /// Compares every live editor's cells with the server's REST state, diagram by diagram, once
    /// every editor has seen the last revision REST reports (or, without a revision, once all
    /// editors agree on one and it stops moving).
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
            guard let reader = live.first else { continue }
            let deadline = clock.now() + drainTimeout
            var server: (cells: [JSONValue], vector: Int?) = ([], nil)
            var lastVectors: [Int] = []
            while true {
                do {
                    server = try await api.diagram(
                        threatModel: target.threatModel, diagram: target.diagram, login: reader.login)
                } catch {
                    reader.context.metrics.update { $0.error("final read of \(target.diagram): \(error)") }
                    return ConvergenceVerdict(converged: false, editorsChecked: checked, difference: nil)
                }
                let vectors = live.map(\.vector)
                let caughtUp: Bool
                if let v = server.vector {
                    caughtUp = vectors.allSatisfy { $0 >= v }
                } else {
                    caughtUp = Set(vectors).count == 1 && vectors == lastVectors
                }
                lastVectors = vectors
                if caughtUp || clock.now() >= deadline { break }
                do { try await clock.sleep(until: clock.now() + .milliseconds(50)) } catch { break }
            }
            checked += live.count
            let result = CellComparison.verdict(
                editors: live.map { ($0.name, $0.confirmedCells) }, serverCells: server.cells)
            if !result.converged {
                return ConvergenceVerdict(
                    converged: false, editorsChecked: checked, difference: result.difference)
            }
        }
        return ConvergenceVerdict(converged: true, editorsChecked: checked, difference: nil)
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
