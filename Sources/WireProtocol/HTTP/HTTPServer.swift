import Synchronization

/// An HTTP/1.1 server on the poller: one structured child task per connection under one accept
/// loop, graceful shutdown (stop accepting, finish in-flight requests, close idle keep-alive
/// connections, then return).
public final class HTTPServer: Sendable {
    public let configuration: Configuration
    let responder: any HTTPResponder
    let registry = HTTPConnectionRegistry()
    /// Connections, WebSockets and bytes, for `/metrics`.
    public let metrics = HTTPServerMetrics()
    private let lifecycle = Mutex<(listener: TCPListener?, task: Task<Void, Never>?)>((nil, nil))
    /// TLS handshakes that failed (HTTPServer+TLS.swift).
    let tlsHandshakeFailures = Atomic<Int>(0)

    public init(configuration: Configuration, responder: any HTTPResponder) {
        self.configuration = configuration
        self.responder = responder
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
        let task = Task { await self.acceptLoop(listener) }
        lifecycle.withLock { $0 = (listener, task) }
        return listener.port
    }

    /// The bound port once started.
    public var port: Int? { lifecycle.withLock { $0.listener?.port } }

    /// Connections currently open (for tests and metrics).
    public var connectionCount: Int { registry.count }

    /// Stops accepting, closes idle keep-alive and upgraded connections, lets requests in
    /// progress finish (their responses say `Connection: close`), and returns when every
    /// connection has ended. An application that wants to say goodbye on its upgraded
    /// connections (WebSocket close 1001) does so before calling this.
    public func shutdown() async {
        let (listener, task) = lifecycle.withLock { $0 }
        listener?.close()
        for connection in registry.beginShutdown() { connection.close() }
        await task?.value
    }

    /// Returns when the server has stopped (after `shutdown()`).
    public func waitUntilStopped() async {
        let task = lifecycle.withLock { $0.task }
        await task?.value
    }

    private func acceptLoop(_ listener: TCPListener) async {
        await withDiscardingTaskGroup { group in
            while true {
                let connection: TCPConnection
                do throws(StreamError) {
                    connection = try await listener.accept()
                } catch {
                    if error == .closed { break }
                    continue
                }
                let address = Self.clientAddress(connection.peerDescription)
                let id: UInt64
                let admission = registry.admit(
                    connection, address: address, maxConnections: configuration.maxConnections,
                    maxPerAddress: configuration.maxConnectionsPerIP)
                switch admission {
                case .admitted(let admitted):
                    id = admitted
                case .shuttingDown:
                    connection.close()
                    return
                case .tooManyConnections, .tooManyFromAddress:
                    // Over TLS a plaintext answer would be noise to the client: just close.
                    guard configuration.tls == nil else {
                        connection.close()
                        continue
                    }
                    let why =
                        admission == .tooManyConnections
                        ? "the server has too many open connections"
                        : "too many open connections from your address"
                    group.addTask { await Self.refuse(connection, why) }
                    continue
                }
                let info = HTTPConnectionInfo(
                    id: id, peer: connection.peerDescription, localPort: listener.port)
                metrics.connectionOpened()
                group.addTask {
                    if let stream = await self.secure(connection) {
                        var handler = HTTPConnectionHandler(server: self, connection: stream, info: info)
                        await handler.run()
                    }
                    self.registry.remove(id)
                    self.metrics.connectionClosed()
                }
            }
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
