extension WebSocketClient {
    /// Opens a TCP connection to `host:port` and performs the handshake over it. The connect
    /// shares the handshake's deadline (`configuration.handshakeTimeout`): every failure or
    /// time-out is an error, never a hang.
    public static func handshake(
        host: String, port: Int, path: String = "/", headers: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration()
    ) async throws(WebSocketError) -> WebSocketConnection {
        let stream: TCPConnection
        do {
            stream = try await TCPConnection.connect(
                host: host, port: port, deadline: .after(configuration.handshakeTimeout))
        } catch { throw .stream(error) }
        return try await handshake(
            over: stream, host: "\(host):\(port)", path: path, headers: headers, configuration: configuration)
    }

    /// Connects over TCP, runs `handler` with the open connection, closes it (1000) when the
    /// handler returns, and returns the handler's result once the connection has closed.
    public static func connect<Result: Sendable>(
        host: String, port: Int, path: String = "/", headers: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        handler: @Sendable (WebSocketConnection) async -> Result
    ) async throws(WebSocketError) -> Result {
        let connection = try await handshake(
            host: host, port: port, path: path, headers: headers, configuration: configuration)
        return try await run(connection, handler)
    }
}
