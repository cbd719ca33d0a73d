import CollabCore

extension LoadTestRunner {
    /// Everything for one load level: setup, connect, send, drain, verdict.
    func runOnce(editorsPerDiagram: Int) async throws(LoadTestError) -> Report {
        var stepOptions = options
        stepOptions.editors = editorsPerDiagram
        let metrics = MetricsRecorder()
        let context = RunContext(
            transport: transport, api: api, clock: clock, metrics: metrics, pendingTimeout: pendingTimeout)
        let editors = try await setUp(editorsPerDiagram: editorsPerDiagram, context: context)
        var report = Report(options: stepOptions)

        for e in editors {
            do { try await e.connect() } catch {
                for opened in editors { await opened.stop() }
                throw .unreachable("opening the WebSocket for \(e.name): \(error)")
            }
        }
        let monitor = Monitor(
            metrics: metrics, clock: clock, hooks: hooks, editors: editors.count,
            totalSeconds: options.duration)
        await withTaskGroup(of: Void.self) { readers in
            for e in editors { readers.addTask { await e.readLoop() } }
            await awaitJoinState(editors)
            for e in editors where e.index % editorsPerDiagram == 0 {
                try? await e.send(.presenterRequest)
            }
            // The schedule: a common start, warmup, then the measured window.
            let start = clock.now() + .milliseconds(20)
            let measureStart = start + seconds(options.warmup)
            let stopAt = measureStart + seconds(options.duration)
            metrics.update {
                $0.beginMeasuring(at: measureStart)
                $0.endMeasuring(at: stopAt)
            }
            let monitorTask = Task { await monitor.run(measureStart: measureStart) }
            await sendPhase(editors, start: start, stopAt: stopAt)
            let stoppedAt = clock.now()
            if stoppedAt < stopAt { metrics.update { $0.endMeasuring(at: stoppedAt) } }
            report.measuredSeconds = Swift.max(
                0, LoadTestKit.seconds(Swift.min(stoppedAt, stopAt) - measureStart))
            report.interrupted = isInterrupted
            monitor.setPhase("drain")
            await drain(editors)
            report.convergence = await verdict(editors)
            monitorTask.cancel()
            await monitorTask.value
            // Close concurrently: each close waits for the server's half of the close handshake.
            await withTaskGroup(of: Void.self) { closing in
                for e in editors { closing.addTask { await e.stop() } }
            }
            await readers.waitForAll()
        }
        report.absorb(metrics.snapshot)
        report.server = monitor.serverUsage
        return report
    }

    func seconds(_ s: Double) -> Duration { .nanoseconds(Int64((s * 1e9).rounded())) }

    /// Logs in every editor and finds or creates the diagrams they will share.
    func setUp(editorsPerDiagram: Int, context: RunContext) async throws(LoadTestError) -> [Editor] {
        let diagramCount = options.diagramID == nil ? options.diagrams : 1
        var logins: [APIClient.Login] = []
        for i in 0..<(diagramCount * editorsPerDiagram) {
            logins.append(try await api.login(hint: "\(options.userPrefix)-\(i)"))
        }
        let owner = logins[0]
        var targets: [DiagramTarget] = []
        if let tm = options.threatModelID, let d = options.diagramID {
            targets = [DiagramTarget(threatModel: tm, diagram: d)]
        } else {
            let tm: String
            if let given = options.threatModelID {
                tm = given
            } else {
                tm = try await api.createThreatModel(
                    name: "tmi-loadtest seed \(options.seed)", owner: owner,
                    writers: logins.dropFirst().map(\.user.email))
            }
            for d in 0..<diagramCount {
                let id = try await api.createDiagram(
                    threatModel: tm, name: "load diagram \(d + 1)", owner: owner)
                targets.append(DiagramTarget(threatModel: tm, diagram: id))
            }
        }
        var editors: [Editor] = []
        for (d, target) in targets.enumerated() {
            try await api.startSession(threatModel: target.threatModel, diagram: target.diagram, login: owner)
            for e in 0..<editorsPerDiagram {
                let index = d * editorsPerDiagram + e
                editors.append(
                    Editor(
                        name: "\(options.userPrefix)-\(index)", index: index, login: logins[index],
                        diagram: target,
                        peers: editorsPerDiagram - 1, seed: options.seed, context: context))
            }
        }
        return editors
    }

    /// Waits (bounded) for each editor's join state; one that gets none reads REST instead.
    func awaitJoinState(_ editors: [Editor]) async {
        let deadline = clock.now() + .seconds(5)
        while clock.now() < deadline, !editors.allSatisfy({ $0.state.withLock { $0.model.synchronized } }) {
            do { try await clock.sleep(until: clock.now() + .milliseconds(10)) } catch { return }
        }
        for e in editors where !e.state.withLock({ $0.model.synchronized }) { await e.resyncFromREST() }
    }

    /// Runs every editor's schedule; `interrupt()` cancels it.
    func sendPhase(_ editors: [Editor], start: Duration, stopAt: Duration) async {
        let interval = seconds(1 / options.rate)
        var rng = SeededRandom(seed: options.seed).fork(0xFEED)
        let phases = editors.map { _ in interval * Double.random(in: 0..<1, using: &rng) }
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for (e, phase) in zip(editors, phases) {
                    group.addTask {
                        await e.sendLoop(start: start, phase: phase, interval: interval, stopAt: stopAt)
                    }
                }
            }
        }
        let alreadyInterrupted = control.withLock { c -> Bool in
            c.sending = task
            return c.interrupted
        }
        if alreadyInterrupted { task.cancel() }
        await task.value
        control.withLock { $0.sending = nil }
    }
}
