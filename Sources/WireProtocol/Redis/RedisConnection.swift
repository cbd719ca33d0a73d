import Synchronization

/// One authenticated connection to Redis, shared by many tasks at once: a `PipelinedConnection`.
///
/// A request is one command, or several sent back to back; it completes once it has all of its
/// replies. Redis has no way to cancel a command, so an abandoned request's replies are simply
/// read and dropped.
///
/// In subscriber mode (`onPush` set) there is no queue: every value read is handed to `onPush`
/// (pub/sub confirmations and messages), and `send` only writes.
final class RedisConnection: PipelinedConnection {
    let tcp: TCPConnection
    let configuration: RedisConfiguration
    let state: Mutex<State>
    let onClose: @Sendable (RedisConnection) -> Void
    let onPush: (@Sendable (RedisValue) -> Void)?

    typealias State = PipelineState<InFlight, Void>

    struct InFlight: PipelinedRequest {
        let id: UInt64
        var continuation: CheckedContinuation<Result<[RedisValue], RedisError>, Never>?
        let expected: Int
        var replies: [RedisValue] = []
    }

    init(
        tcp: TCPConnection, configuration: RedisConfiguration,
        onPush: (@Sendable (RedisValue) -> Void)? = nil,
        onClose: @escaping @Sendable (RedisConnection) -> Void
    ) {
        self.tcp = tcp
        self.configuration = configuration
        self.onPush = onPush
        self.onClose = onClose
        self.state = Mutex(State(session: ()))
    }

    var transport: any ConnectionTransport { tcp }

    func withState<R: Sendable>(_ body: (inout State) -> R) -> R { state.withLock { body(&$0) } }

    /// Starts the reader and writer tasks; called once after startup succeeded.
    func start(decoder: RESPDecoder) {
        Task { await self.writeLoop() }
        Task { await self.readLoop(decoder: decoder) }
    }

    /// Sends the commands back to back and waits for their replies (error replies included,
    /// as `.error` values, in order).
    func run(_ commands: [RedisCommand], timeout: Duration?) async throws(RedisError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        return try await perform(timeout: timeout) { s, continuation in
            for command in commands { command.encode(into: &s.outbox) }
            return s.append { InFlight(id: $0, continuation: continuation, expected: commands.count) }
        }.get()
    }

    /// Writes commands without waiting for replies (subscriber mode).
    func send(_ commands: [RedisCommand]) throws(RedisError) {
        let wake = try state.withLock { s throws(RedisError) -> (writer: State.Writer, bytes: [UInt8])? in
            if let refusal = s.refusal { throw refusal }
            for command in commands { command.encode(into: &s.outbox) }
            return s.wakeWriter()
        }
        if let wake { wake.writer.resume(returning: wake.bytes) }
    }

    func abandon(_ id: UInt64, reason: RedisError) {
        let continuation = state.withLock {
            s -> CheckedContinuation<Result<[RedisValue], RedisError>, Never>? in
            guard let i = s.index(of: id) else { return nil }
            defer { s.inFlight[i].continuation = nil }
            return s.inFlight[i].continuation
        }
        continuation?.resume(returning: .failure(reason))
    }

    /// Sends QUIT after everything already queued, then closes.
    func close() { close { RedisCommand("QUIT").encode(into: &$0) } }
}

extension RedisError: PipelineFailure {}
