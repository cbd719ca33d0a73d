import Synchronization

/// One authenticated connection to Redis, shared by many tasks at once (pipelining).
///
/// A request (one command, or several sent back to back) is encoded and appended to the outbox
/// *and* to the in-flight queue under one lock, so the order of requests on the wire is the order
/// of their replies. One writer task drains the outbox, writing everything that accumulated while
/// the previous write was in progress in one system call; one reader task decodes replies and
/// completes the request at the head of the queue once it has all of its replies. A request that
/// times out or whose task is cancelled returns at once; its late replies are read and dropped,
/// keeping the stream in step (Redis has no way to cancel a command).
///
/// In subscriber mode (`onPush` set) there is no queue: every value read is handed to `onPush`
/// (pub/sub confirmations and messages), and `send` only writes.
final class RedisConnection: Sendable {
    let tcp: TCPConnection
    let configuration: RedisConfiguration
    let state: Mutex<State>
    /// Called once, after the connection failed or was closed (the client forgets it).
    let onClose: @Sendable (RedisConnection) -> Void
    let onPush: (@Sendable (RedisValue) -> Void)?

    typealias Reply = Result<[RedisValue], RedisError>

    struct InFlight {
        let id: UInt64
        var continuation: CheckedContinuation<Reply, Never>?
        let expected: Int
        var replies: [RedisValue] = []
    }

    struct State {
        var outbox: [UInt8] = []
        var writerWaiter: CheckedContinuation<[UInt8]?, Never>?
        var inFlight: [InFlight] = []
        var inFlightHead = 0
        var nextRequestID: UInt64 = 0
        var failure: RedisError?
        var closing = false

        var pendingCount: Int { inFlight.count - inFlightHead }

        mutating func dropHead() {
            inFlightHead += 1
            if inFlightHead == inFlight.count {
                inFlight.removeAll(keepingCapacity: true)
                inFlightHead = 0
            } else if inFlightHead >= 64 && inFlightHead * 2 >= inFlight.count {
                inFlight.removeSubrange(0..<inFlightHead)
                inFlightHead = 0
            }
        }

        func index(of id: UInt64) -> Int? {
            inFlight[inFlightHead...].firstIndex { $0.id == id }
        }
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
        self.state = Mutex(State())
    }

    /// Starts the reader and writer tasks; called once after startup succeeded.
    func start(decoder: RESPDecoder) {
        Task { await self.writeLoop() }
        Task { await self.readLoop(decoder: decoder) }
    }

    var isClosed: Bool { state.withLock { $0.failure != nil || $0.closing } }

    /// Requests sent and not yet answered.
    var inFlightCount: Int { state.withLock { $0.pendingCount } }

    /// Sends the commands back to back and waits for their replies (error replies included,
    /// as `.error` values, in order).
    func run(_ commands: [RedisCommand], timeout: Duration?) async throws(RedisError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        let ticket = RedisCancelTicket()
        let timer = timeout.map { timeout in
            Task { [ticket] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                if let id = ticket.cancel(.timedOut) { self.abandon(id, reason: .timedOut) }
            }
        }
        defer { timer?.cancel() }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enqueue(commands, continuation: continuation, ticket: ticket)
            }
        } onCancel: {
            if let id = ticket.cancel(.cancelled) { self.abandon(id, reason: .cancelled) }
        }
        return try outcome.get()
    }

    /// Writes commands without waiting for replies (subscriber mode).
    func send(_ commands: [RedisCommand]) throws(RedisError) {
        let writer = try state.withLock {
            s throws(RedisError) -> (CheckedContinuation<[UInt8]?, Never>, [UInt8])? in
            if let failure = s.failure { throw failure == .closed ? .closed : .connectionClosed }
            if s.closing { throw .closed }
            for command in commands { command.encode(into: &s.outbox) }
            guard let writer = s.writerWaiter else { return nil }
            s.writerWaiter = nil
            defer { s.outbox = [] }
            return (writer, s.outbox)
        }
        if let writer { writer.0.resume(returning: writer.1) }
    }

    private func enqueue(
        _ commands: [RedisCommand], continuation: CheckedContinuation<Reply, Never>, ticket: RedisCancelTicket
    ) {
        if Task.isCancelled {
            continuation.resume(returning: .failure(.cancelled))
            return
        }
        let queued = state.withLock {
            s -> (id: UInt64, writer: CheckedContinuation<[UInt8]?, Never>?, bytes: [UInt8])? in
            if let failure = s.failure {
                continuation.resume(returning: .failure(failure == .closed ? .closed : .connectionClosed))
                return nil
            }
            if s.closing {
                continuation.resume(returning: .failure(.closed))
                return nil
            }
            for command in commands { command.encode(into: &s.outbox) }
            s.nextRequestID &+= 1
            let id = s.nextRequestID
            s.inFlight.append(InFlight(id: id, continuation: continuation, expected: commands.count))
            guard let writer = s.writerWaiter else { return (id, nil, []) }
            s.writerWaiter = nil
            let pending = s.outbox
            s.outbox = []
            return (id, writer, pending)
        }
        guard let queued else { return }
        queued.writer?.resume(returning: queued.bytes)
        if let reason = ticket.enqueued(queued.id) { abandon(queued.id, reason: reason) }
    }

    /// Gives a request up: its caller gets `reason` now; its replies will be read and dropped.
    func abandon(_ id: UInt64, reason: RedisError) {
        let continuation = state.withLock { s -> CheckedContinuation<Reply, Never>? in
            guard let i = s.index(of: id) else { return nil }
            defer { s.inFlight[i].continuation = nil }
            return s.inFlight[i].continuation
        }
        continuation?.resume(returning: .failure(reason))
    }

    /// Sends QUIT after everything already queued, then closes.
    func close() {
        let writer = state.withLock { s -> (CheckedContinuation<[UInt8]?, Never>, [UInt8])? in
            guard s.failure == nil, !s.closing else { return nil }
            s.closing = true
            RedisCommand("QUIT").encode(into: &s.outbox)
            guard let writer = s.writerWaiter else { return nil }
            s.writerWaiter = nil
            defer { s.outbox = [] }
            return (writer, s.outbox)
        }
        if let writer { writer.0.resume(returning: writer.1) }
    }

    /// Fails every outstanding request with `error` and closes the socket. Idempotent.
    func fail(_ error: RedisError) {
        let taken = state.withLock { s -> ([InFlight], CheckedContinuation<[UInt8]?, Never>?)? in
            guard s.failure == nil else { return nil }
            s.failure = error
            let pending = Array(s.inFlight[s.inFlightHead...])
            s.inFlight = []
            s.inFlightHead = 0
            s.outbox = []
            defer { s.writerWaiter = nil }
            return (pending, s.writerWaiter)
        }
        guard let (pending, writer) = taken else { return }
        tcp.close()
        writer?.resume(returning: nil)
        for request in pending { request.continuation?.resume(returning: .failure(error)) }
        onClose(self)
    }
}

/// Hands a request's id from the enqueuing task to its cancellation handler or timer, which may
/// fire before the request is queued, while it is, or after.
final class RedisCancelTicket: Sendable {
    private enum Phase {
        case waiting
        case cancelled(RedisError)
        case queued(UInt64)
    }

    private let phase = Mutex(Phase.waiting)

    /// The id to abandon, or nil if not yet queued (the reason is kept for `enqueued`).
    func cancel(_ reason: RedisError) -> UInt64? {
        phase.withLock { p in
            switch p {
            case .queued(let id): return id
            case .cancelled: return nil
            case .waiting:
                p = .cancelled(reason)
                return nil
            }
        }
    }

    /// Called once the request is queued; the reason if a cancel arrived meanwhile.
    func enqueued(_ id: UInt64) -> RedisError? {
        phase.withLock { p in
            if case .cancelled(let reason) = p { return reason }
            p = .queued(id)
            return nil
        }
    }
}
