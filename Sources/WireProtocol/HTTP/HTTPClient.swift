/// A minimal HTTP/1.1 client over one keep-alive `TCPConnection`, reusing `HTTPParser` in
/// response mode: Content-Length, chunked and close-delimited responses, 1xx skipped, one
/// transparent retry when a reused connection turns out to have been closed by the server.
///
/// Requests are sent one at a time (the actor serializes them). With a `tls` context the client
/// speaks https: the server's chain is verified against the context's trust roots and its
/// certificate must match `host` (a failure is `.tls(.verificationFailed(reason))`); timeouts and
/// the body-size limit apply as for plain HTTP, the handshake included.
public actor HTTPClient {
    public let host: String
    public let port: Int
    /// The client TLS context (`TLSContext.client(_:)`); nil for plain HTTP.
    public let tls: TLSContext?
    /// Longest wait for any single read or write.
    public var timeout: Duration
    /// Largest response body accepted.
    public var maxBodySize = 64 * 1024 * 1024

    private var connection: (any DeadlineByteStream)?
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var parser = HTTPParser(mode: .response)

    public init(
        host: String = "127.0.0.1", port: Int, timeout: Duration = .seconds(30), tls: TLSContext? = nil
    ) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.tls = tls
    }

    /// GET (or another bodyless method) of `target`, e.g. "/threat_models?limit=5".
    public func get(_ target: String, headers: HTTPHeaders = HTTPHeaders()) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
        try await send(HTTPRequest(method: "GET", target: target, headers: headers))
    }

    /// Sends `request` and reads its response. `Host` and `Content-Length` are added when absent.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        await acquire()
        defer { release() }
        let reused = connection != nil
        do {
            return try await exchange(request)
        } catch .closedBeforeResponse where reused {
            return try await exchange(request)
        }
    }

    /// Sends a request expected to switch protocols (e.g. a WebSocket handshake). On 101 the
    /// connection leaves the client: the returned stream yields any bytes read past the response
    /// head first. On another status the stream is nil.
    public func upgrade(_ request: HTTPRequest) async throws(HTTPClientError)
        -> (response: HTTPClientResponse, stream: (any ByteStream)?)
    {
        await acquire()
        defer { release() }
        let response = try await exchange(request, stopAtUpgrade: true)
        guard response.status == 101, let connection else { return (response, nil) }
        let stream = PrefixedByteStream(connection, prefix: parser.takeBufferedBytes())
        self.connection = nil
        parser = HTTPParser(mode: .response)
        return (response, stream)
    }

    /// Actor methods are re-entrant at each `await`: callers sharing one client take turns here,
    /// so two exchanges never interleave on the connection.
    private func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            busy = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Closes the connection; the next request opens a new one.
    public func close() {
        connection?.close()
        connection = nil
        parser = HTTPParser(mode: .response)
    }

    private func exchange(_ request: HTTPRequest, stopAtUpgrade: Bool = false) async throws(HTTPClientError)
        -> HTTPClientResponse
    {
        let connection = try await openConnection()
        do {
            try await connection.write(
                Self.serialize(request, host: host, port: port, defaultPort: tls == nil ? 80 : 443),
                deadline: .after(timeout))
        } catch {
            close()
            throw error == .disconnected || error == .closed ? .closedBeforeResponse : .stream(error)
        }
        parser.nextResponseIsToHEAD = request.method == "HEAD"
        var received = false
        var head: HTTPMessageHead?
        var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let event: HTTPParser.Event?
            do {
                event = try parser.next()
            } catch {
                close()
                throw .malformed(error)
            }
            switch event {
            case .head(let parsed):
                head = parsed
                do {
                    try parser.startBody(limit: maxBodySize)
                } catch {
                    close()
                    throw .malformed(error)
                }
                continue
            case .complete(let body, let trailers):
                guard let parsed = head else { continue }
                // Interim responses (RFC 9110 §15.2) precede the real one; 101 ends HTTP here.
                if parsed.status < 200 && parsed.status != 101 {
                    head = nil
                    continue
                }
                if !parsed.keepAlive && !(stopAtUpgrade && parsed.status == 101) { close() }
                return HTTPClientResponse(
                    status: parsed.status, headers: parsed.headers, body: body, trailers: trailers)
            case nil:
                break
            }
            let count: Int
            do {
                count = try await connection.read(into: &readBuffer, deadline: .after(timeout))
            } catch {
                close()
                throw error == .disconnected && !received ? .closedBeforeResponse : .stream(error)
            }
            if count == 0 {
                let final: HTTPParser.Event?
                do {
                    final = try parser.finish()
                } catch {
                    close()
                    throw received ? .malformed(error) : .closedBeforeResponse
                }
                close()
                guard case .complete(let body, let trailers) = final, let parsed = head else {
                    throw .closedBeforeResponse
                }
                return HTTPClientResponse(
                    status: parsed.status, headers: parsed.headers, body: body, trailers: trailers)
            }
            received = true
            parser.feed(readBuffer[0..<count])
        }
    }

    private func openConnection() async throws(HTTPClientError) -> any DeadlineByteStream {
        if let connection, !connection.isClosed { return connection }
        let deadline = IODeadline.after(timeout)
        let tcp: TCPConnection
        do {
            tcp = try await TCPConnection.connect(host: host, port: port, deadline: deadline)
        } catch {
            throw .stream(error)
        }
        var opened: any DeadlineByteStream = tcp
        if let tls {
            do {
                opened = try await TLSConnection.connect(
                    tcp, context: tls, serverName: host, deadline: deadline)
            } catch {
                throw .tls(error)
            }
        }
        connection = opened
        parser = HTTPParser(mode: .response)
        return opened
    }

    /// The wire form of a request (RFC 9112 §3).
    public static func serialize(_ request: HTTPRequest, host: String, port: Int, defaultPort: Int = 80)
        -> [UInt8]
    {
        var out: [UInt8] = []
        out.reserveCapacity(128 + request.body.count)
        out.append(contentsOf: "\(request.method) \(request.target) HTTP/1.1\r\n".utf8)
        if !request.headers.contains("host") {
            HTTPResponseWriter.appendField("Host", port == defaultPort ? host : "\(host):\(port)", to: &out)
        }
        for field in request.headers where !field.name.equalsIgnoringASCIICase("content-length") {
            HTTPResponseWriter.appendField(field.name, field.value, to: &out)
        }
        let chunked = request.headers["transfer-encoding"] != nil
        if !chunked && (!request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)) {
            HTTPResponseWriter.appendField("Content-Length", String(request.body.count), to: &out)
        }
        out.append(contentsOf: HTTPResponseWriter.crlf)
        out.append(contentsOf: request.body)
        return out
    }
}

/// A response as the client received it.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// The body as sent (still gzip-encoded if `Content-Encoding: gzip`).
    public var body: [UInt8]
    public var trailers: HTTPHeaders

    public init(
        status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        trailers: HTTPHeaders = HTTPHeaders()
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// The body with any gzip content coding removed; nil if it does not decode.
    public var decodedBody: [UInt8]? {
        guard let coding = headers["content-encoding"], coding.equalsIgnoringASCIICase("gzip") else {
            return body
        }
        return Gzip.decompress(body)
    }

    /// The body as UTF-8 text (after decoding gzip).
    public var text: String { String(decoding: decodedBody ?? body, as: UTF8.self) }
}

/// Why a client exchange failed.
public enum HTTPClientError: Error, Sendable, Equatable {
    case stream(StreamError)
    case malformed(HTTPParseError)
    /// The server closed the connection before any response byte (retried once on a reused one).
    case closedBeforeResponse
    /// The TLS handshake failed; `.verificationFailed(reason)` when the server's certificate was
    /// rejected (untrusted issuer, wrong host name, expired).
    case tls(TLSError)
}
