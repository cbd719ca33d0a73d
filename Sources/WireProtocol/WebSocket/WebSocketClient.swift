import Synchronization

/// The client side of the opening handshake (RFC 6455 §4.1) over any `ByteStream`.
///
/// ```swift
/// let reply = try await WebSocketClient.connect(over: stream, host: "127.0.0.1:8080", path: "/echo") { ws in
///     try? ws.send(text: "hello")
///     return await ws.messages.first { _ in true }
/// }
/// ```
public enum WebSocketClient {
    /// Performs the handshake and returns the connection, not yet running: call `run(_:)`.
    /// Throws `.handshakeFailed` when the server refuses or answers incorrectly (§4.1: the client
    /// MUST _Fail the WebSocket Connection_), and closes the stream then. A handshake that has not
    /// completed within `configuration.handshakeTimeout` throws `.stream(.timedOut)`: a watchdog
    /// closes the stream, which wakes the pending read (any `ByteStream` fails pending operations
    /// when closed), so this always returns.
    public static func handshake(
        over stream: any ByteStream, host: String, path: String = "/",
        headers extra: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration()
    ) async throws(WebSocketError) -> WebSocketConnection {
        let key = WebSocketHandshake.makeKey()
        var head = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(WebSocketHandshake.version)\r\n"
        if !configuration.subprotocols.isEmpty {
            head += "Sec-WebSocket-Protocol: \(configuration.subprotocols.joined(separator: ", "))\r\n"
        }
        if let c = configuration.compression {
            head += "Sec-WebSocket-Extensions: \(PerMessageDeflateNegotiation.clientOffer(c))\r\n"
        }
        for field in extra { head += "\(field.name): \(field.value)\r\n" }
        head += "\r\n"
        let expired = Mutex(false)
        let watchdog = Task { [clock = configuration.clock, limit = configuration.handshakeTimeout] in
            guard (try? await clock.sleep(for: limit)) != nil else { return }  // cancelled: done in time
            expired.withLock { $0 = true }
            stream.close()
        }
        defer { watchdog.cancel() }
        do throws(WebSocketError) {
            do { try await stream.write(Array(head.utf8)) } catch { throw .stream(error) }
            let (response, rest) = try await readResponseHead(stream)
            let (subprotocol, parameters, deflate) = try validate(
                response, key: key, configuration: configuration)
            watchdog.cancel()
            // The watchdog may have fired just as the answer arrived: the stream is closed then.
            if expired.withLock({ $0 }) { throw .stream(.timedOut) }
            return WebSocketConnection(
                stream: stream, role: .client, configuration: configuration, subprotocol: subprotocol,
                compression: parameters, deflate: deflate, initialBytes: rest)
        } catch {
            stream.close()
            throw expired.withLock { $0 } ? .stream(.timedOut) : error
        }
    }

    /// Performs the handshake, runs `handler` with the open connection, closes it (1000) when the
    /// handler returns, and returns the handler's result once the connection has closed.
    public static func connect<Result: Sendable>(
        over stream: any ByteStream, host: String, path: String = "/", headers: HTTPHeaders = HTTPHeaders(),
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        handler: @Sendable (WebSocketConnection) async -> Result
    ) async throws(WebSocketError) -> Result {
        let connection = try await handshake(
            over: stream, host: host, path: path, headers: headers, configuration: configuration)
        return try await run(connection, handler)
    }

    static func run<Result: Sendable>(
        _ connection: WebSocketConnection, _ handler: @Sendable (WebSocketConnection) async -> Result
    ) async throws(WebSocketError) -> Result {
        let box = ResultBox<Result>()
        await connection.run { ws in box.value = await handler(ws) }
        guard let value = box.value else { throw .connectionClosed }
        return value
    }

    struct ResponseHead {
        var status: Int
        var headers: HTTPHeaders
    }

    /// Reads up to the blank line ending the head (limit 16 KiB); returns the head and any bytes
    /// after it, which already belong to the WebSocket stream.
    static func readResponseHead(_ stream: any ByteStream) async throws(WebSocketError) -> (
        ResponseHead, [UInt8]
    ) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = headEnd(received) {
                let head = try parseHead(Array(received[..<end]))
                return (head, Array(received[(end + 4)...]))
            }
            guard received.count < 16 * 1024 else { throw .handshakeFailed("response head too large") }
            let n: Int
            do { n = try await stream.read(into: &buffer) } catch { throw .stream(error) }
            guard n > 0 else { throw .handshakeFailed("connection closed during handshake") }
            received.append(contentsOf: buffer[..<n])
        }
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func parseHead(_ bytes: [UInt8]) throws(WebSocketError) -> ResponseHead {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let statusLine = lines.popFirst() else { throw .handshakeFailed("empty response") }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .handshakeFailed("malformed status line")
        }
        var headers = HTTPHeaders()
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw .handshakeFailed("malformed header line")
            }
            headers.add(String(line[..<colon]), WebSocketHandshake.trim(line[line.index(after: colon)...]))
        }
        return ResponseHead(status: status, headers: headers)
    }

    /// §4.1: checks status, Upgrade, Connection, the accept value, the subprotocol and extensions.
    static func validate(
        _ r: ResponseHead, key: String, configuration: WebSocketConfiguration
    ) throws(WebSocketError) -> (String?, PerMessageDeflateParameters?, PerMessageDeflateRuntime?) {
        guard r.status == 101 else { throw .handshakeFailed("server answered \(r.status)") }
        guard WebSocketHandshake.hasToken(r.headers, "Upgrade", "websocket"),
            WebSocketHandshake.hasToken(r.headers, "Connection", "upgrade")
        else { throw .handshakeFailed("missing Upgrade or Connection") }
        guard r.headers["Sec-WebSocket-Accept"] == WebSocketHandshake.acceptValue(forKey: key) else {
            throw .handshakeFailed("wrong Sec-WebSocket-Accept")
        }
        let subprotocol = r.headers["Sec-WebSocket-Protocol"]
        if let subprotocol, !configuration.subprotocols.contains(subprotocol) {
            throw .handshakeFailed("server chose a subprotocol we did not offer")
        }
        let extensions = r.headers.values("Sec-WebSocket-Extensions")
        guard let c = configuration.compression else {
            if !extensions.isEmpty { throw .handshakeFailed("server chose an extension we did not offer") }
            return (subprotocol, nil, nil)
        }
        guard
            let runtime = try PerMessageDeflateNegotiation.clientAccept(
                responseHeaders: extensions, configuration: c)
        else { return (subprotocol, nil, nil) }
        let offers = WebSocketExtensionOffer.parse(extensions)
        let parameters = offers.first.flatMap { PerMessageDeflateParameters.parse($0)?.0 }
        return (subprotocol, parameters, runtime)
    }
}

/// Carries the handler's result out of `run`'s non-escaping closure.
private final class ResultBox<Value: Sendable>: Sendable {
    private let storage = Mutex<Value?>(nil)
    var value: Value? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
