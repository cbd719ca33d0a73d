import Synchronization

/// One authenticated session with the server, shared by many tasks at once: a
/// `PipelinedConnection`.
///
/// A request is one or more statements ending in one Sync; it completes at its ReadyForQuery. An
/// abandoned request's CancelRequest is sent when it reaches the head (the server cancels
/// whatever it is running, so sending it earlier could cancel a neighbour), and its late response
/// is read and dropped.
final class PostgresConnection: PipelinedConnection {
    let transport: any ConnectionTransport
    let configuration: PostgresConfiguration
    let backendKey: (processID: Int32, secretKey: Int32)?
    let state: Mutex<State>
    let onClose: @Sendable (PostgresConnection) -> Void

    typealias State = PipelineState<InFlight, Session>

    struct InFlight: PipelinedRequest {
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

    /// What a PostgreSQL session keeps beside the pipeline, under the same lock.
    struct Session {
        var statements: [StatementKey: String] = [:]
        var nextStatement = 0
        var transactionStatus: PostgresTransactionStatus = .idle
    }

    init(
        transport: any ConnectionTransport, configuration: PostgresConfiguration,
        backendKey: (processID: Int32, secretKey: Int32)?,
        onClose: @escaping @Sendable (PostgresConnection) -> Void
    ) {
        self.transport = transport
        self.configuration = configuration
        self.backendKey = backendKey
        self.onClose = onClose
        self.state = Mutex(State(session: Session()))
    }

    func withState<R: Sendable>(_ body: (inout State) -> R) -> R { state.withLock { body(&$0) } }

    /// Starts the reader and writer tasks; called once after startup succeeded.
    func start(decoder: PostgresMessageDecoder) {
        Task { await self.writeLoop() }
        Task { await self.readLoop(decoder: decoder) }
    }

    var transactionStatus: PostgresTransactionStatus { state.withLock { $0.session.transactionStatus } }

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
        let cacheSize = configuration.statementCacheSize
        return try await perform(timeout: timeout) { s, continuation in
            var bytes: [UInt8] = []
            let parsed = Self.encode(request, into: &bytes, session: &s.session, cacheSize: cacheSize)
            s.outbox.append(contentsOf: bytes)
            return s.append { InFlight(id: $0, continuation: continuation, parsedNames: parsed) }
        }.get()
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
    func close() { close { PostgresFrontend.terminate(into: &$0) } }

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
        _ request: Request, into out: inout [UInt8], session s: inout Session, cacheSize: Int
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
        state.withLock { s in
            s.session.statements = s.session.statements.filter { !doomed.contains($0.value) }
        }
    }
}

extension PostgresError: PipelineFailure {}
