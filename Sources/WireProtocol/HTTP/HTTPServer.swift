import Synchronization

/// An HTTP/1.1 server on the I/O loops: one structured child task per connection under one accept
/// loop, graceful shutdown (stop accepting, finish in-flight requests, close idle keep-alive
/// connections, then return).
///
/// Connections are spread over `ioThreads` loops by one accept task handing each new connection
/// to the next loop in turn, rather than by one `SO_REUSEPORT` listener per loop: the kernel's
/// hash of the 4-tuple can put most of a few dozen keep-alive connections on one loop (and a
/// loop busy with one slow handler would keep accepting into its own queue), while a
/// round-robin hand-off is even by construction; one listener also keeps port 0, shutdown and
/// the connection limits in one place. Accepting costs one `accept4` per connection, which one
/// loop absorbs easily. The connection's task then runs with its loop as executor preference,
/// so its reads, handler, writes and any WebSocket it becomes stay on that one thread for life.
public final class HTTPServer: Sendable {
    public let configuration: Configuration
    let responder: any HTTPResponder
    let registry = HTTPConnectionRegistry()
    /// Connections, WebSockets and bytes, for `/metrics`.
    public let metrics = HTTPServerMetrics()
    private let lifecycle = Mutex<(listener: TCPListener?, task: Task<Void, Never>?)>((nil, nil))
    /// TLS handshakes that failed (HTTPServer+TLS.swift).
    let tlsHandshakeFailures = Atomic<Int>(0)

    /// The loops connections are spread over (loop 0 also runs the accept task).
    let loops: [Poller]
    /// Open connections per loop, in `loops` order (for `/metrics` and tests).
    let loopConnections: AtomicCounters

    public init(configuration: Configuration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
        self.loops = IOLoops.first(configuration.ioThreads ?? IOLoops.defaultCount)
        if let polls = configuration.idlePolls {
            for loop in loops {
                loop.idlePollLimit.store(min(max(polls, 0), IdlePolling.maximumLimit), ordering: .relaxed)
            }
        }
        self.loopConnections = AtomicCounters(count: loops.count)
    }

    public convenience init(
        configuration: Configuration, handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.init(configuration: configuration, responder: ClosureResponder(handler))
    }

    /// Binds, starts accepting, and returns the bound port (useful with port 0).
    @discardableResult
    public func start() async throws(StreamError) -> Int {
        let listener = try await TCPListener.bind(
            host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let task = Task(executorPreference: loops[0]) { await self.acceptLoop(listener) }
        lifecycle.withLock { $0 = (listener, task) }
        return listener.port
    }

    /// The bound port once started.
    public var port: Int? { lifecycle.withLock { $0.listener?.port } }

    /// Connections currently open (for tests and metrics).
    public var connectionCount: Int { registry.count }

    /// Connections open now on each I/O loop, in loop order.
    public var connectionsPerLoop: [Int] {
        (0..<loops.count).map { Int(truncatingIfNeeded: Int64(bitPattern: loopConnections.load($0))) }
    }

    /// How many I/O loops this server spreads connections over.
    public var ioLoopCount: Int { loops.count }

    /// Stops accepting, closes idle keep-alive and upgraded connections, lets requests in
    /// progress finish (their responses say `Connection: close`), and returns when every
    /// connection has ended. An application that wants to say goodbye on its upgraded
    /// connections (WebSocket close 1001) does so before calling this.
    public func shutdown() async {
        let (listener, task) = lifecycle.withLock { $0 }
        listener?.close()
        for connection in registry.beginShutdown() { connection.closeAfterHeldSends() }
        await task?.value
    }

    /// Returns when the server has stopped (after `shutdown()`).
    public func waitUntilStopped() async {
        let task = lifecycle.withLock { $0.task }
        await task?.value
    }

    private func acceptLoop(_ listener: TCPListener) async {
        var next = 0
        await withDiscardingTaskGroup { group in
            while true {
                let slot = next
                let loop = loops[slot]
                let connection: TCPConnection
                do throws(StreamError) {
                    // Connection tasks are never cancelled: shutdown closes their sockets.
                    connection = try await listener.accept(on: loop, connectionObservesCancellation: false)
                } catch {
                    if error == .closed { break }
                    continue
                }
                next = slot + 1 == loops.count ? 0 : slot + 1
                let address = Self.clientAddress(connection.peerDescription)
                let admission = registry.admit(
                    connection, address: address, maxConnections: configuration.maxConnections,
                    maxPerAddress: configuration.maxConnectionsPerIP)
                let refusal: String
                switch admission {
                case .admitted(let entry):
                    serve(connection, entry: entry, loop: slot, port: listener.port, in: &group)
                    continue
                case .shuttingDown:
                    connection.close()
                    return
                case .tooManyConnections: refusal = "the server has too many open connections"
                case .tooManyFromAddress: refusal = "too many open connections from your address"
                }
                // Over TLS a plaintext answer would be noise to the client: just close.
                if configuration.tls == nil {
                    group.addTask(executorPreference: loop) { await Self.refuse(connection, refusal) }
                } else {
                    connection.close()
                }
            }
        }
    }

    /// Starts the task that serves an admitted connection on its loop for its whole life.
    private func serve(
        _ connection: TCPConnection, entry: HTTPConnectionEntry, loop slot: Int, port: Int,
        in group: inout DiscardingTaskGroup
    ) {
        let info = HTTPConnectionInfo(
            id: entry.id, peer: connection.peerDescription, localPort: port, ioLoop: slot)
        metrics.connectionOpened()
        loopConnections.add(slot)
        group.addTask(executorPreference: loops[slot]) {
            if let stream = await self.secure(connection) {
                var handler = HTTPConnectionHandler(
                    server: self, connection: stream, info: info, entry: entry)
                await handler.run()
            }
            self.registry.remove(entry.id)
            self.loopConnections.subtract(slot)
            self.metrics.connectionClosed()
        }
    }

    /// The IP part of a peer description ("1.2.3.4:5" → "1.2.3.4", "[::1]:5" → "::1").
    static func clientAddress(_ peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        var host = peer[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return String(host)
    }

    static let refusalWriter = HTTPResponseWriter(compression: .init())

    /// Answers a connection over a limit with 503 and closes it. It never enters the registry,
    /// reads nothing, and waits at most a second for the send, so a flood of these holds no slot.
    static func refuse(_ connection: TCPConnection, _ why: String) async {
        var response = HTTPErrorBody.response(status: 503, error: "service_unavailable", description: why)
        response.headers.add("Retry-After", "1")
        let (bytes, _) = refusalWriter.serialize(
            response, to: HTTPMessageHead(method: "GET"), keepAlive: false)
        try? await connection.write(bytes, deadline: .after(.seconds(1)))
        connection.shutdownWrite()
        connection.close()
    }
}
