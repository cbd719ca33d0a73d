import Glibc
import Synchronization

/// The once-a-second side of a run: samples the server's CPU and RSS and emits the progress line.
final class Monitor: Sendable {
    struct State {
        var phase = "warmup"
        var usage: ProcessUsage?
        var client: ProcessUsage?
        var lastIn = 0
        var lastOut = 0
    }

    let metrics: MetricsRecorder
    let clock: any LoadTestClock
    let hooks: LoadTestRunner.Hooks
    let editors: Int
    let totalSeconds: Double
    let state: Mutex<State>

    init(
        metrics: MetricsRecorder, clock: any LoadTestClock, hooks: LoadTestRunner.Hooks, editors: Int,
        totalSeconds: Double
    ) {
        self.metrics = metrics
        self.clock = clock
        self.hooks = hooks
        self.editors = editors
        self.totalSeconds = totalSeconds
        state = Mutex(
            State(
                usage: hooks.serverPID.map { ProcessUsage(pid: $0) },
                client: hooks.sampleClient == nil ? nil : ProcessUsage(pid: getpid())))
    }

    func setPhase(_ phase: String) { state.withLock { $0.phase = phase } }

    var serverUsage: ProcessUsage? { state.withLock { $0.usage } }
    var clientUsage: ProcessUsage? { state.withLock { $0.client } }

    func run(measureStart: Duration) async {
        guard hooks.progress != nil || hooks.sampleServer != nil || hooks.sampleClient != nil else { return }
        var next = clock.now()
        while !Task.isCancelled {
            tick(measureStart: measureStart)
            next += .seconds(1)
            do { try await clock.sleep(until: next) } catch { break }
        }
        tick(measureStart: measureStart)
    }

    func tick(measureStart: Duration) {
        let now = clock.now()
        let elapsed = seconds(now - measureStart)
        let sample = hooks.sampleServer?()
        let own = hooks.sampleClient?()
        let m = metrics.snapshot
        let (phase, usage, inRate, outRate) = state.withLock { s in
            if let sample { s.usage?.add(sample, atElapsed: elapsed) }
            if let own { s.client?.add(own, atElapsed: elapsed) }
            if s.phase == "warmup" && elapsed >= 0 { s.phase = "run" }
            let rates = (m.messagesIn - s.lastIn, m.messagesOut - s.lastOut)
            s.lastIn = m.messagesIn
            s.lastOut = m.messagesOut
            return (s.phase, s.usage, rates.0, rates.1)
        }
        guard let progress = hooks.progress else { return }
        let delivery = m.delivery
        progress(
            ProgressSnapshot(
                phase: phase, elapsedSeconds: Swift.max(elapsed, 0), totalSeconds: totalSeconds,
                editors: editors,
                opsSent: m.opsSent, opsAcked: m.opsAcked, rejected: m.rejected.values.reduce(0, +),
                errors: m.errors,
                messagesInPerSecond: Double(inRate), messagesOutPerSecond: Double(outRate),
                deliveryP50Ms: delivery.value(atPercentile: 50) / 1000,
                deliveryP99Ms: delivery.value(atPercentile: 99) / 1000,
                serverCPUPercent: usage?.points.isEmpty == false ? usage?.lastCPUPercent : nil,
                serverRSSBytes: usage?.points.isEmpty == false ? usage?.lastRSSBytes : nil))
    }
}
