import CollabCore
import Glibc
import Synchronization

/// Runs the load test: logs the editors in, prepares diagrams, connects everyone, drives the
/// editors for warmup + duration, drains what is in flight, checks convergence against REST and
/// produces the `Report`. `interrupt()` (Ctrl-C) ends the sending early; the run still drains,
/// checks and reports what ran.
public final class LoadTestRunner: Sendable {
    public struct Hooks: Sendable {
        /// Receives the live progress once a second (nil: no progress line).
        public var progress: (@Sendable (ProgressSnapshot) -> Void)?
        /// Reads the server's CPU and RSS (nil: not sampled).
        public var sampleServer: (@Sendable () -> ProcFS.Sample?)?
        public var serverPID: Int32?
        /// Reads the load tester's own CPU and RSS, so a report shows whether the client was the
        /// bottleneck (nil: not sampled).
        public var sampleClient: (@Sendable () -> ProcFS.Sample?)?

        public init(
            progress: (@Sendable (ProgressSnapshot) -> Void)? = nil,
            sampleServer: (@Sendable () -> ProcFS.Sample?)? = nil, serverPID: Int32? = nil
        ) {
            self.progress = progress
            self.sampleServer = sampleServer
            self.serverPID = serverPID
        }
    }

    struct Control {
        var interrupted = false
        var sending: Task<Void, Never>?
    }

    let options: LoadTestOptions
    let transport: any LoadTestTransport
    let clock: any LoadTestClock
    let hooks: Hooks
    let api: APIClient
    let control = Mutex(Control())
    /// Longest wait for in-flight operations and convergence after sending stops.
    let drainTimeout: Duration
    let pendingTimeout: Duration
    /// One transport per `--url` when there are several (editors take them in turn).
    let nodeTransports: [any LoadTestTransport]

    public init(
        options: LoadTestOptions, transport: any LoadTestTransport,
        clock: any LoadTestClock = SystemLoadTestClock(),
        hooks: Hooks = Hooks(), drainTimeout: Duration = .seconds(15),
        pendingTimeout: Duration = .seconds(10),
        nodeTransports: [any LoadTestTransport] = []
    ) {
        self.nodeTransports = nodeTransports
        self.options = options
        self.transport = transport
        self.clock = clock
        self.hooks = hooks
        self.api = APIClient(transport: transport, baseURL: options.url)
        self.drainTimeout = drainTimeout
        self.pendingTimeout = pendingTimeout
    }

    /// Stops sending now (safe from any thread, e.g. a SIGINT handler).
    public func interrupt() {
        let task = control.withLock { c -> Task<Void, Never>? in
            c.interrupted = true
            return c.sending
        }
        task?.cancel()
    }

    public var isInterrupted: Bool { control.withLock { $0.interrupted } }

    /// One run, or in step mode the whole series of steps.
    public func run() async throws(LoadTestError) -> Report {
        guard let limit = options.stepUntilP99Ms else {
            return try await runOnce(editorsPerDiagram: options.editors)
        }
        var steps: [StepResult] = []
        var last: Report? = nil
        for step in 1...options.maxSteps {
            let editors = options.editors * step
            let report = try await runOnce(editorsPerDiagram: editors)
            // With one editor per diagram nobody else receives: judge by the ack latency then.
            let summary = report.delivery.isEmpty ? report.ack.summary : report.delivery.summary
            let held =
                report.convergence.converged && report.errorRate <= options.maxErrorRate && summary.count > 0
                && summary.p99Ms <= limit && !report.interrupted
            steps.append(
                StepResult(
                    editorsPerDiagram: editors, totalEditors: editors * report.diagrams,
                    offeredOpsPerSecond: Double(editors * report.diagrams) * options.rate, delivery: summary,
                    errors: report.errors, converged: report.convergence.converged, held: held))
            last = report
            if !held || isInterrupted { break }
        }
        var final = last ?? Report(options: options)
        final.steps = steps
        return final
    }
}

extension LoadTestRunner.Hooks {
    /// The executable's hooks: the progress line to `write` (unless `--quiet`) and /proc sampling
    /// of `serverPID` when known.
    public static func commandLine(
        options: LoadTestOptions, serverPID: Int32?, write: @escaping @Sendable (String) -> Void
    ) -> LoadTestRunner.Hooks {
        var hooks = LoadTestRunner.Hooks(serverPID: serverPID)
        if !options.quiet {
            hooks.progress = { @Sendable snapshot in write(snapshot.line) }
        }
        if let pid = serverPID {
            hooks.sampleServer = { @Sendable in ProcFS.sample(pid: pid) }
        }
        let me = getpid()
        hooks.sampleClient = { @Sendable in ProcFS.sample(pid: me) }
        return hooks
    }
}
