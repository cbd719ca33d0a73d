extension WebSocketClient {
    /// Opens TCP then TLS to `host:port` (verifying the server against `tls`, as `HTTPClient`
    /// does) and performs the WebSocket handshake over it: a `wss://` connection. A TLS failure
    /// is `.handshakeFailed` with the reason, e.g. "TLS certificate verification failed:
    /// hostname mismatch (expected localhost)".
    public static func handshake(
        host: String, port: Int, path: String = "/", headers: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration(), tls: TLSContext,
        timeout: Duration = .seconds(30)
    ) async throws(WebSocketError) -> WebSocketConnection {
        let stream: TLSConnection
        do {
            stream = try await TLSConnection.connect(
                host: host, port: port, context: tls, deadline: .after(timeout))
        } catch {
            throw .handshakeFailed(error.description)
        }
        let authority = port == 443 ? host : "\(host):\(port)"
        return try await handshake(
            over: stream, host: authority, path: path, headers: headers, configuration: configuration)
    }

    /// `connect(host:port:...)` over TLS: runs `handler` with the open wss connection, closes it
    /// (1000) when the handler returns, and returns the handler's result.
    public static func connect<Result: Sendable>(
        host: String, port: Int, path: String = "/", headers: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration(), tls: TLSContext,
        handler: @Sendable (WebSocketConnection) async -> Result
    ) async throws(WebSocketError) -> Result {
        let connection = try await handshake(
            host: host, port: port, path: path, headers: headers, configuration: configuration, tls: tls)
        return try await run(connection, handler)
    }
}
