/// Everything a run is configured by. The flag names are fixed: scripts and the benchmark
/// tables depend on them (issue 7).
public struct LoadTestOptions: Sendable, Equatable {
    /// Base URL of the server; only `http://` (the tool drives loopback or a test deployment).
    public var url: String = "http://127.0.0.1:8080"
    /// Host and port split out of `url` at parse time.
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Diagrams edited at once, each with its own session.
    public var diagrams: Int = 1
    /// Editors per diagram.
    public var editors: Int = 4
    /// Diagram operations per second per editor (open-loop schedule).
    public var rate: Double = 2
    /// Measured seconds, after the warmup.
    public var duration: Double = 10
    /// Seconds run before measuring starts; their samples are discarded.
    public var warmup: Double = 2
    /// Seed for the operation generator, so a run can be replayed.
    public var seed: UInt64 = 1
    public var jsonPath: String? = nil
    public var svgPath: String? = nil
    /// Step mode: add editors until delivery p99 exceeds this many milliseconds.
    public var stepUntilP99Ms: Double? = nil
    /// Use this threat model instead of creating one (then `diagram` may name the diagram).
    public var threatModelID: String? = nil
    public var diagramID: String? = nil
    /// Fail the run (exit 1) when errors / operations sent exceeds this fraction.
    public var maxErrorRate: Double = 0.01
    /// The server's process id, when it cannot be found from the listening port.
    public var serverPID: Int32? = nil
    /// Login hint prefix for the test provider; editor i logs in as `<prefix>-<i>`.
    public var userPrefix: String = "loadtest"
    /// Upper bound on steps in step mode, so a server that never saturates still ends.
    public var maxSteps: Int = 10
    /// Suppress the live progress line (for CI logs).
    public var quiet: Bool = false
    public var help: Bool = false

    // Idle mode (issue 15): many joined-but-quiet WebSockets and the server's memory per socket.
    /// Open this many authenticated WebSockets, join them to sessions, hold them quiet and report
    /// the server's RSS per connection, instead of the editing run.
    public var idleConnections: Int? = nil
    /// Idle connections per diagram (each diagram is one session; the session cap is 500).
    public var idlePerDiagram: Int = 100
    /// Seconds the idle connections are held, after all have joined, before the memory sample.
    public var idleHold: Double = 3
    /// Offer permessage-deflate on the WebSockets (as a browser does); `--deflate off` does not.
    public var deflate: Bool = true

    // Several nodes (issue 14): `--url` repeated; editors are spread over the nodes in turn.
    /// Every `--url` given, in order (empty: just `url`). The first is also `url`/`host`/`port`,
    /// where logins, setup and the verdict's REST reads go.
    public var nodeURLs: [String] = []

    // TLS (issue 14, nodes serving https): `--url https://…` verified against `--ca-file`.
    /// PEM CA bundle that verifies https/wss servers; nil: the system trust store.
    public var caFile: String? = nil
    /// Whether `url` is https (its WebSockets are then wss).
    public var tls: Bool { url.hasPrefix("https://") }

    public init() {}

    /// Whether `host` names this machine, so /proc sampling of the server makes sense.
    public var serverIsLocal: Bool {
        ["127.0.0.1", "localhost", "::1", "0.0.0.0"].contains(host)
    }
}
