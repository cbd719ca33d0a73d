import Synchronization

/// What a connection reads and writes through: a TCP connection now, TLS over it later.
protocol PostgresTransport: AnyObject, Sendable {
    func read(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError) -> Int
    func write(_ bytes: [UInt8], deadline: IODeadline?) async throws(StreamError)
    func close()
}

extension TCPConnection: PostgresTransport {}

extension TLSConnection: PostgresTransport {}

/// One authenticated session with the server, shared by many tasks at once (pipelining).
///
/// A request (one or more statements ending in one Sync) is encoded and appended to the
/// outbox *and* to the in-flight queue under one lock, so the order of requests on the wire is
/// the order of their responses. One writer task drains the outbox, writing everything that
/// accumulated while the previous write was in progress in one system call: that is how
/// concurrent callers share round trips. One reader task decodes responses and completes the
/// request at the head of the queue at each ReadyForQuery. A request that times out or whose
/// task is cancelled returns at once; its CancelRequest is sent when it reaches the head (the
/// server cancels whatever it is running, so sending it earlier could cancel a neighbour), and
/// its late response is read and dropped, keeping the stream in step.
final class PostgresConnection: Sendable {
    let transport: any PostgresTransport
    let configuration: PostgresConfiguration
    let backendKey: (processID: Int32, secretKey: Int32)?
    let state: Mutex<State>
    /// Called once, after the connection failed or was closed (the pool forgets it).
    let onClose: @Sendable (PostgresConnection) -> Void

    struct InFlight {
        let id: UInt64
        var continuation: CheckedContinuation<Result<[PostgresQueryResult], PostgresError>, Never>?
        /// Statement names this request sent Parse for, in order ("" for an unnamed one).
        let parsedNames: [String]
        var cancelReason: PostgresError?
        var cancelSent = false
    }

    struct StatementKey: Hashable {
        let sql: String
        let types: [UInt32]
    }

    struct State {
        var outbox: [UInt8] = []
        var writerWaiter: CheckedContinuation<[UInt8]?, Never>?
        var inFlight: [InFlight] = []
        var inFlightHead = 0
        var statements: [StatementKey: String] = [:]
        var nextStatement = 0
        var nextRequestID: UInt64 = 0
        var failure: PostgresError?
        var closing = false
        var transactionStatus: PostgresTransactionStatus = .idle

        var pendingCount: Int { inFlight.count - inFlightHead }

        mutating func popHead() -> InFlight? {
            guard inFlightHead < inFlight.count else { return nil }
            let head = inFlight[inFlightHead]
            inFlightHead += 1
            if inFlightHead == inFlight.count {
                inFlight.removeAll(keepingCapacity: true)
                inFlightHead = 0
            } else if inFlightHead >= 64 && inFlightHead * 2 >= inFlight.count {
                inFlight.removeSubrange(0..<inFlightHead)
                inFlightHead = 0
            }
            return head
        }

        func index(of id: UInt64) -> Int? {
            inFlight[inFlightHead...].firstIndex { $0.id == id }
        }
    }

    init(
        transport: any PostgresTransport, configuration: PostgresConfiguration,
        backendKey: (processID: Int32, secretKey: Int32)?,
        onClose: @escaping @Sendable (PostgresConnection) -> Void
    ) {
        self.transport = transport
        self.configuration = configuration
        self.backendKey = backendKey
        self.onClose = onClose
        self.state = Mutex(State())
    }

    /// Starts the reader and writer tasks; called once after startup succeeded.
    func start(decoder: PostgresMessageDecoder) {
        Task { await self.writeLoop() }
        Task { await self.readLoop(decoder: decoder) }
    }

    var isClosed: Bool { state.withLock { $0.failure != nil || $0.closing } }

    /// Requests sent and not yet answered.
    var inFlightCount: Int { state.withLock { $0.pendingCount } }

    var transactionStatus: PostgresTransactionStatus { state.withLock { $0.transactionStatus } }

    /// How the statements of a request are sent.
    enum Request {
        /// Extended protocol: Parse (unless cached)/Bind/Describe/Execute per statement, one Sync.
        /// Statements before one Sync form one implicit transaction: all commit or none.
        case extended([PostgresQuery])
        /// Simple protocol: one Query message, possibly several statements (migrations).
        case simple(String)
    }

    /// Sends a request and waits for its results (one per statement).
    func run(_ request: Request, timeout: Duration?) async throws(PostgresError) -> [PostgresQueryResult] {
        try Self.validate(request)
        let ticket = CancelTicket()
        // The timer is a task of its own so that a timeout costs nothing until it fires; it is
        // cancelled (and wakes at once) when the request completes first.
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
                enqueue(request, continuation: continuation, ticket: ticket)
            }
        } onCancel: {
            if let id = ticket.cancel(.cancelled) { self.abandon(id, reason: .cancelled) }
        }
        return try outcome.get()
    }

    private func enqueue(
        _ request: Request,
        continuation: CheckedContinuation<Result<[PostgresQueryResult], PostgresError>, Never>,
        ticket: CancelTicket
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
            var bytes: [UInt8] = []
            let parsed = Self.encode(
                request, into: &bytes, state: &s, cacheSize: configuration.statementCacheSize)
            s.outbox.append(contentsOf: bytes)
            s.nextRequestID &+= 1
            let id = s.nextRequestID
            s.inFlight.append(InFlight(id: id, continuation: continuation, parsedNames: parsed))
            guard let writer = s.writerWaiter else { return (id, nil, []) }
            s.writerWaiter = nil
            let pending = s.outbox
            s.outbox = []
            return (id, writer, pending)
        }
        guard let queued else { return }
        queued.writer?.resume(returning: queued.bytes)
        if let reason = ticket.enqueued(queued.id) {
            abandon(queued.id, reason: reason)
        }
    }

    /// Gives a request up: its caller gets `reason` now; its response will be read and dropped;
    /// a CancelRequest goes out once it is the one the server is working on.
    func abandon(_ id: UInt64, reason: PostgresError) {
        let (continuation, sendCancel) = state.withLock {
            s -> (CheckedContinuation<Result<[PostgresQueryResult], PostgresError>, Never>?, Bool) in
            guard let i = s.index(of: id) else { return (nil, false) }
            let continuation = s.inFlight[i].continuation
            s.inFlight[i].continuation = nil
            if s.inFlight[i].cancelReason == nil { s.inFlight[i].cancelReason = reason }
            guard i == s.inFlightHead, !s.inFlight[i].cancelSent else { return (continuation, false) }
            s.inFlight[i].cancelSent = true
            return (continuation, true)
        }
        continuation?.resume(returning: .failure(reason))
        if sendCancel { sendCancelRequest() }
    }

    /// A CancelRequest on a new connection with the backend key ("Canceling Requests in
    /// Progress"). Best effort: the server does not answer it.
    func sendCancelRequest() {
        guard let key = backendKey else { return }
        let host = configuration.host
        let port = configuration.port
        let timeout = configuration.connectTimeout
        Task {
            var bytes: [UInt8] = []
            PostgresFrontend.cancelRequest(processID: key.processID, secretKey: key.secretKey, into: &bytes)
            guard
                let tcp = try? await TCPConnection.connect(host: host, port: port, deadline: .after(timeout))
            else { return }
            try? await tcp.write(bytes, deadline: .after(timeout))
            // Wait for the server to close its side, so the cancel has been read before we go.
            var scratch = [UInt8](repeating: 0, count: 16)
            _ = try? await tcp.read(into: &scratch, deadline: .after(timeout))
            tcp.close()
        }
    }

    /// Sends Terminate after everything already queued, then closes.
    func close() {
        let writer = state.withLock { s -> (CheckedContinuation<[UInt8]?, Never>, [UInt8])? in
            guard s.failure == nil, !s.closing else { return nil }
            s.closing = true
            PostgresFrontend.terminate(into: &s.outbox)
            guard let writer = s.writerWaiter else { return nil }
            s.writerWaiter = nil
            defer { s.outbox = [] }
            return (writer, s.outbox)
        }
        if let writer { writer.0.resume(returning: writer.1) }
    }

    /// Fails every outstanding request with `error` and closes the transport. Idempotent.
    func fail(_ error: PostgresError) {
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
        transport.close()
        writer?.resume(returning: nil)
        for request in pending { request.continuation?.resume(returning: .failure(error)) }
        onClose(self)
    }

    private static func validate(_ request: Request) throws(PostgresError) {
        switch request {
        case .simple(let sql):
            if PostgresFrontend.containsNUL(sql) { throw .invalidQuery("the SQL contains a NUL byte") }
        case .extended(let queries):
            guard !queries.isEmpty else { throw .invalidQuery("no statements") }
            for query in queries {
                if PostgresFrontend.containsNUL(query.sql) {
                    throw .invalidQuery("the SQL contains a NUL byte")
                }
                if query.parameters.count > Int(UInt16.max) {
                    throw .invalidQuery("\(query.parameters.count) parameters (at most 65535)")
                }
            }
        }
    }

    /// Appends the request's messages; returns the names of the statements it parses.
    private static func encode(
        _ request: Request, into out: inout [UInt8], state s: inout State, cacheSize: Int
    ) -> [String] {
        switch request {
        case .simple(let sql):
            PostgresFrontend.query(sql, into: &out)
            return []
        case .extended(let queries):
            var parsed: [String] = []
            for query in queries {
                let wire = query.parameters.map(\.wireParameter)
                let key = StatementKey(sql: query.sql, types: wire.map(\.typeOID))
                var name = ""
                if let cached = s.statements[key] {
                    name = cached
                } else {
                    if s.statements.count < cacheSize {
                        name = "tmi\(s.nextStatement)"
                        s.nextStatement += 1
                        s.statements[key] = name
                    }
                    PostgresFrontend.parse(
                        statement: name, sql: query.sql, parameterTypes: key.types, into: &out)
                    parsed.append(name)
                }
                PostgresFrontend.bind(
                    portal: "", statement: name, parameterFormats: wire.map(\.format),
                    parameters: wire.map(\.bytes),
                    resultFormat: 0, into: &out)
                PostgresFrontend.describe(.portal, name: "", into: &out)
                PostgresFrontend.execute(portal: "", into: &out)
            }
            PostgresFrontend.sync(into: &out)
            return parsed
        }
    }

    /// Forgets cached statements whose Parse did not complete (the server never created them).
    func forgetStatements(_ names: ArraySlice<String>) {
        let doomed = Set(names.filter { !$0.isEmpty })
        guard !doomed.isEmpty else { return }
        state.withLock { s in s.statements = s.statements.filter { !doomed.contains($0.value) } }
    }
}

/// Hands a request's id from the enqueuing task to its cancellation handler or timer, which
/// may fire before the request is queued, while it is, or after.
final class CancelTicket: Sendable {
    private enum Phase {
        case waiting
        case cancelled(PostgresError)
        case queued(UInt64)
    }

    private let phase = Mutex(Phase.waiting)

    /// Called by the cancellation handler or timer: the id to abandon, or nil if not yet queued
    /// (the reason is then remembered for `enqueued`).
    func cancel(_ reason: PostgresError) -> UInt64? {
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
    func enqueued(_ id: UInt64) -> PostgresError? {
        phase.withLock { p in
            if case .cancelled(let reason) = p { return reason }
            p = .queued(id)
            return nil
        }
    }
}
