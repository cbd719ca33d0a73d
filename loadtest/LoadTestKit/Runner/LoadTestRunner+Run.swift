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

        let monitor = Monitor(
            metrics: metrics, clock: clock, hooks: hooks, editors: editors.count,
            totalSeconds: options.duration)
        var connectFailure: LoadTestError? = nil
        await withTaskGroup(of: Void.self) { readers in
            for e in editors {
                do { try await e.connect() } catch {
                    connectFailure = .unreachable("opening the WebSocket for \(e.name): \(error)")
                    break
                }
                readers.addTask { await e.readLoop() }
                // The first to join a session is its host and presenter: let each diagram's
                // first editor in before the others, so that role does not go to whoever wins
                // a race between handshakes.
                if e.index % editorsPerDiagram == 0 { await awaitJoinState([e]) }
            }
            if connectFailure != nil {
                await withTaskGroup(of: Void.self) { closing in
                    for e in editors { closing.addTask { await e.stop() } }
                }
                return
            }
            await awaitJoinState(editors)
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
        if let connectFailure { throw connectFailure }
        report.absorb(metrics.snapshot)
        report.server = monitor.serverUsage
        report.client = monitor.clientUsage
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
        // Each diagram gets its own threat model, owned by its first editor with the others as
        // writers, as a team would have it (and no model carries every editor of a big run).
        var editors: [Editor] = []
        for d in 0..<diagramCount {
            let team = Array(logins[(d * editorsPerDiagram)..<((d + 1) * editorsPerDiagram)])
            let owner = team[0]
            let target: DiagramTarget
            if let tm = options.threatModelID, let diagram = options.diagramID {
                target = DiagramTarget(threatModel: tm, diagram: diagram)
            } else {
                var tm = options.threatModelID ?? ""
                if tm.isEmpty {
                    tm = try await api.createThreatModel(
                        name: "tmi-loadtest seed \(options.seed) diagram \(d + 1)", owner: owner,
                        writers: team.dropFirst().map(\.user.email))
                }
                let id = try await api.createDiagram(
                    threatModel: tm, name: "load diagram \(d + 1)", owner: owner)
                target = DiagramTarget(threatModel: tm, diagram: id)
            }
            try await api.startSession(threatModel: target.threatModel, diagram: target.diagram, login: owner)
            let decoder = SharedDecoder(readers: editorsPerDiagram)
            for (e, login) in team.enumerated() {
                let index = d * editorsPerDiagram + e
                // Several nodes: editor i's WebSocket goes to node i mod n.
                var own = context
                if nodeTransports.count > 1 {
                    own = RunContext(
                        transport: nodeTransports[index % nodeTransports.count], api: context.api,
                        clock: context.clock, metrics: context.metrics,
                        pendingTimeout: context.pendingTimeout,
                        node: index % nodeTransports.count,
                        relayed: index % nodeTransports.count != (d * editorsPerDiagram)
                            % nodeTransports.count)
                }
                editors.append(
                    Editor(
                        name: "\(options.userPrefix)-\(index)", index: index, login: login, diagram: target,
                        peers: editorsPerDiagram - 1, seed: options.seed, context: own, decoder: decoder))
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
