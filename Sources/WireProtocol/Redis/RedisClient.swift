import Synchronization

/// A Redis client: one pipelined connection shared by every task, reconnected in the background.
///
/// Redis runs commands one at a time, so one connection with pipelining is what a client needs
/// (concurrent callers' commands share round trips, see `RedisConnection`); blocking commands
/// (`BLPOP`, `WAIT`) would stall it and are not for this client. When the server goes away,
/// commands fail fast with `.unavailable` while the client reconnects with exponential backoff;
/// `isAvailable` and `ping` serve readiness checks. Pub/sub needs a connection of its own:
/// `subscriber()`.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://:secret@127.0.0.1:6379/0")
/// try await redis.send(RedisCommand("SET", "greeting", "hello", "PX", "5000"))
/// let value = try await redis.send(RedisCommand("GET", "greeting")).string   // "hello"
/// let replies = try await redis.pipeline([RedisCommand("INCR", "n"), RedisCommand("INCR", "n")])
/// await redis.close()
/// ```
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    let state: Mutex<ClientState>

    struct ClientState {
        var connection: RedisConnection?
        var connecting = false
        var waiters: [CheckedContinuation<Result<RedisConnection, RedisError>, Never>] = []
        var closed = false
        /// Set while the server is unreachable: why, and whether the reconnect task runs.
        var outage: String?
        var reconnecting = false
        var backoff = ReconnectBackoff()
    }

    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        self.state = Mutex(ClientState())
    }

    /// A client for `redis://[[user]:password@]host[:port][/db]`; throws `.invalidConfiguration`
    /// for a malformed URL (the message never contains the password).
    public convenience init(url: String) throws(RedisError) {
        self.init(configuration: try RedisConfiguration(url: url))
    }

    // MARK: commands

    /// Runs one command; an error reply is thrown as `.server(message)`.
    @discardableResult
    public func send(_ command: RedisCommand, timeout: Duration? = nil) async throws(RedisError) -> RedisValue
    {
        let replies = try await pipeline([command], timeout: timeout)
        guard let reply = replies.first else { throw .unexpectedReply("no reply") }
        if case .error(let message) = reply { throw .server(message) }
        return reply
    }

    /// Sends the commands back to back in one write and returns their replies in order, error
    /// replies included as `.error` values (one failing command does not hide the others').
    /// Not a transaction: wrap them in MULTI/EXEC, or use a script, for that.
    public func pipeline(_ commands: [RedisCommand], timeout: Duration? = nil) async throws(RedisError)
        -> [RedisValue]
    {
        let connection = try await acquire()
        return try await connection.run(commands, timeout: timeout ?? configuration.commandTimeout)
    }

    /// `EVAL script numkeys keys… args…`: a Lua script runs atomically on the server.
    @discardableResult
    public func eval(_ script: String, keys: [String], arguments: [String], timeout: Duration? = nil)
        async throws(RedisError) -> RedisValue
    {
        try await send(
            RedisCommand("EVAL", arguments: [script, String(keys.count)] + keys + arguments), timeout: timeout
        )
    }

    /// A round trip (`PING`), connecting if needed: for readiness checks.
    public func ping(timeout: Duration? = nil) async throws(RedisError) {
        let reply = try await send(RedisCommand("PING"), timeout: timeout ?? configuration.connectTimeout)
        guard reply.string == "PONG" else { throw .unexpectedReply("PING answered \(reply)") }
    }

    /// True while a connection is open.
    public var isAvailable: Bool { state.withLock { $0.connection.map { !$0.isClosed } ?? false } }

    /// Closes the connection (after the commands already sent); later calls fail `.closed`.
    public func close() async {
        let (connection, waiters) = state.withLock { s in
            s.closed = true
            defer {
                s.connection = nil
                s.waiters = []
            }
            return (s.connection, s.waiters)
        }
        connection?.close()
        for waiter in waiters { waiter.resume(returning: .failure(.closed)) }
    }

    /// A separate connection for SUBSCRIBE (a subscribed connection accepts no other commands).
    public func subscriber() -> RedisSubscriber { RedisSubscriber(configuration: configuration) }

    // MARK: connection management

    private enum Decision {
        case use(RedisConnection)
        case connect
        case wait
        case fail(RedisError)
    }

    /// The open connection; opens one when there is none and no outage is known; fails fast
    /// with `.unavailable` during an outage (the reconnect task is working on it).
    func acquire() async throws(RedisError) -> RedisConnection {
        let decision = state.withLock { s -> Decision in
            if s.closed { return .fail(.closed) }
            if let connection = s.connection, !connection.isClosed { return .use(connection) }
            if s.connecting { return .wait }
            if let outage = s.outage { return .fail(.unavailable(outage)) }
            s.connecting = true
            return .connect
        }
        switch decision {
        case .use(let connection): return connection
        case .fail(let error): throw error
        case .connect: return try await connect().get()
        case .wait:
            let result = await withCheckedContinuation { continuation in
                let now = state.withLock { s -> Result<RedisConnection, RedisError>? in
                    if s.closed { return .failure(.closed) }
                    if let connection = s.connection, !connection.isClosed { return .success(connection) }
                    if !s.connecting { return .failure(.unavailable(s.outage ?? "not connected")) }
                    s.waiters.append(continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
            return try result.get()
        }
    }

    /// Opens the connection (the caller set `connecting`), and tells the waiters.
    private func connect() async -> Result<RedisConnection, RedisError> {
        let result: Result<RedisConnection, RedisError>
        do {
            let connection = try await RedisConnection.open(configuration) { [weak self] closed in
                self?.connectionClosed(closed)
            }
            result = .success(connection)
        } catch {
            result = .failure(error)
        }
        let (waiters, startReconnect, orphan) = state.withLock { s in
            s.connecting = false
            var start = false
            var orphan: RedisConnection?
            switch result {
            case .success(let connection):
                if s.closed {
                    orphan = connection
                } else {
                    s.connection = connection
                    s.outage = nil
                    s.backoff.reset()
                }
            case .failure(let error):
                if !s.closed && (error.isUnavailable || error.isConnectFailure) {
                    s.outage = error.description
                    if !s.reconnecting {
                        s.reconnecting = true
                        start = true
                    }
                }
            }
            defer { s.waiters = [] }
            return (s.waiters, start, orphan)
        }
        orphan?.close()
        for waiter in waiters { waiter.resume(returning: orphan == nil ? result : .failure(.closed)) }
        if startReconnect { Task { await self.reconnectLoop() } }
        return orphan == nil ? result : .failure(.closed)
    }

    private func connectionClosed(_ connection: RedisConnection) {
        let start = state.withLock { s -> Bool in
            guard s.connection === connection else { return false }
            s.connection = nil
            guard !s.closed else { return false }
            s.outage = "the connection to \(configuration.host):\(configuration.port) was lost"
            guard !s.reconnecting else { return false }
            s.reconnecting = true
            return true
        }
        if start { Task { await self.reconnectLoop() } }
    }

    /// Tries to connect with exponential backoff until a connection is open again.
    private func reconnectLoop() async {
        while true {
            let delay = state.withLock { s -> Duration? in
                guard !s.closed, s.connection == nil, s.outage != nil else {
                    s.reconnecting = false
                    return nil
                }
                return s.backoff.next(configuration.reconnectBackoff)
            }
            guard let delay else { return }
            try? await Task.sleep(for: delay)
            let attempt = state.withLock { s -> Bool in
                guard !s.closed, s.connection == nil, !s.connecting else { return false }
                s.connecting = true
                return true
            }
            if attempt, case .success = await connect() {
                state.withLock { $0.reconnecting = false }
                return
            }
        }
    }

    /// Waits until a connection is open (reconnecting as needed), or `timeout`.
    public func waitUntilAvailable(timeout: Duration) async throws(RedisError) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var delay: Duration = .milliseconds(10)
        while true {
            do {
                _ = try await acquire()
                return
            } catch  where error == .closed || !(error.isUnavailable || error.isConnectFailure) {
                throw error
            } catch {}
            guard ContinuousClock.now < deadline else {
                throw .unavailable("not reconnected within \(timeout)")
            }
            try? await Task.sleep(for: min(delay, deadline - ContinuousClock.now))
            delay = min(delay * 2, .milliseconds(200))
        }
    }
}

extension RedisError {
    /// A failure to connect that a later attempt may not repeat (authentication is not one).
    var isConnectFailure: Bool {
        if case .connectionFailed = self { return true }
        if case .protocolViolation = self { return true }
        return false
    }
}
