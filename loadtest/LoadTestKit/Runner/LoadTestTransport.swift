/// The seams between the runner and the network, kept small so the runner is tested against an
/// in-memory server and the real transport (the project's HTTP and WebSocket clients) plugs in
/// behind the same three calls.
public protocol LoadTestTransport: Sendable {
    /// One HTTP request to the server; `target` is origin-form (`/path?query`). Redirects are
    /// not followed: the login flow reads the `Location` itself.
    func request(method: String, target: String, headers: [(String, String)], body: [UInt8]) async throws
        -> HTTPResult
    /// Opens a WebSocket at `target` (origin-form, token in the query).
    func openWebSocket(target: String) async throws -> any LoadTestSocket
}

/// One editor's WebSocket: text messages both ways.
public protocol LoadTestSocket: Sendable {
    func send(text: String) async throws
    /// The next text message; nil once the connection has closed.
    func receive() async throws -> String?
    /// The text messages that have arrived (at least one; waits for one), as UTF-8 bytes, in
    /// order; nil once the connection has closed. Editors read this way: a burst of broadcasts
    /// costs one wake-up, and no `String` is made for a message the decoder has seen.
    func receiveBatch() async throws -> [[UInt8]]?
    func close() async
    /// Where the socket's I/O runs (its epoll loop), so the editor's reader can run there too and
    /// a received burst is handled without a hop to another thread; nil: anywhere.
    var executor: (any TaskExecutor)? { get }
}

extension LoadTestSocket {
    public var executor: (any TaskExecutor)? { nil }

    /// One message at a time, for sockets that have no cheaper way.
    public func receiveBatch() async throws -> [[UInt8]]? {
        guard let text = try await receive() else { return nil }
        return [Array(text.utf8)]
    }
}

/// A response as the runner needs it.
public struct HTTPResult: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// Monotonic time for pacing and latency, injectable so tests run on virtual time.
public protocol LoadTestClock: Sendable {
    /// Time since an arbitrary fixed origin.
    func now() -> Duration
    /// Returns once `now() >= deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Duration) async throws
}

/// The real clock: `ContinuousClock`, which never jumps with wall-clock changes.
public struct SystemLoadTestClock: LoadTestClock {
    let origin = ContinuousClock.now

    public init() {}

    public func now() -> Duration { origin.duration(to: .now) }

    public func sleep(until deadline: Duration) async throws {
        let instant = origin.advanced(by: deadline)
        if instant > .now { try await Task.sleep(until: instant, clock: .continuous) }
        try Task.checkCancellation()
    }
}

/// Failures that end a run before it measures anything; the executable prints the message as
/// one line and exits 2.
public enum LoadTestError: Error, Equatable, CustomStringConvertible, Sendable {
    case unreachable(String)
    case login(String)
    case setup(String)

    public var description: String {
        switch self {
        case .unreachable(let m): "server unreachable: \(m)"
        case .login(let m): "login failed: \(m)"
        case .setup(let m): "setup failed: \(m)"
        }
    }
}
