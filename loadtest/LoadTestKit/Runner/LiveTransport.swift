import Glibc
import Synchronization
import WireProtocol

/// The real network transport: WireProtocol's `HTTPClient` for REST (one keep-alive connection,
/// requests serialized — the runner's REST traffic is setup and verification only) and, per
/// editor, its own TCP connection upgraded by `WebSocketClient` (RFC 6455 §4.1, with
/// permessage-deflate offered as a browser would).
public struct LiveTransport: LoadTestTransport {
    let host: String
    let port: Int
    let rest: HTTPClient
    let configuration: WebSocketConfiguration
    /// Verifies an https server (`--url https://…`, `--ca-file`); nil: plain http and ws.
    let tls: TLSContext?

    /// `streaming`: every socket receives a steady stream (editors), so each keeps a large read
    /// buffer and one `read` takes many frames; off for idle mode, whose thousands of quiet
    /// sockets would each hold it.
    public init(host: String, port: Int, deflate: Bool = true, tls: TLSContext? = nil, streaming: Bool = true)
    {
        self.host = host
        self.port = port
        self.tls = tls
        rest = HTTPClient(host: host, port: port, timeout: .seconds(30), tls: tls)
        var configuration = WebSocketConfiguration()
        // Broadcasts arrive in bursts; let the reader run ahead of the editor's handling a little.
        configuration.inboxCapacity = 1024
        if streaming { configuration.minimumReadBuffer = 32 * 1024 }
        if !deflate { configuration.compression = nil }
        self.configuration = configuration
    }

    public static func make(options: LoadTestOptions) throws(LoadTestError) -> any LoadTestTransport {
        var tls: TLSContext? = nil
        if options.tls {
            do {
                tls = try TLSContext.client(
                    TLSClientConfiguration(
                        trustsSystemRoots: options.caFile == nil, additionalCAFile: options.caFile))
            } catch {
                throw .unreachable("TLS: \(error.description)")
            }
        }
        return LiveTransport(
            host: options.host, port: options.port, deflate: options.deflate, tls: tls,
            streaming: options.idleConnections == nil)
    }

    public func request(method: String, target: String, headers: [(String, String)], body: [UInt8])
        async throws
        -> HTTPResult
    {
        var fields = HTTPHeaders()
        for (name, value) in headers { fields.add(name, value) }
        do {
            let response = try await rest.send(
                HTTPRequest(method: method, target: target, headers: fields, body: body))
            return HTTPResult(
                status: response.status, headers: response.headers.fields.map { ($0.name, $0.value) },
                body: response.decodedBody ?? response.body)
        } catch {
            throw TransportFailure(Self.describe(error))
        }
    }

    /// Each socket lives on one of the process's I/O loops, in turn: the connect, the handshake,
    /// the connection's reader and writer and the editor's handling of what it reads all run on
    /// that loop's thread (a few threads for hundreds of sockets, no hop per message).
    public func openWebSocket(target: String) async throws -> any LoadTestSocket {
        let loops = IOLoops.first(IOLoops.defaultCount)
        let loop = loops[Int(Self.nextLoop.add(1, ordering: .relaxed).oldValue % loops.count)]
        return try await withTaskExecutorPreference(loop) {
            let tcp: TCPConnection
            do throws(StreamError) {
                tcp = try await TCPConnection.connect(
                    host: host, port: port, deadline: .after(.seconds(30)), poller: loop)
            } catch {
                throw TransportFailure(Self.describe(.stream(error)))
            }
            let stream: any ByteStream
            if let tls {
                do throws(TLSError) {
                    stream = try await TLSConnection.connect(
                        tcp, context: tls, serverName: host, deadline: .after(.seconds(30)))
                } catch {
                    throw TransportFailure(Self.describe(.tls(error)))
                }
            } else {
                stream = tcp
            }
            let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            do {
                let connection = try await WebSocketClient.handshake(
                    over: stream, host: hostHeader, path: target, configuration: configuration)
                return LiveSocket(connection, loop: loop)
            } catch {
                throw TransportFailure("WebSocket \(error)")
            }
        }
    }

    /// Which loop the next socket goes to.
    static let nextLoop = Atomic<Int>(0)

    /// One line for the operator: "connection refused" rather than an enum dump.
    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .stream(.system(let code)): String(cString: strerror(code)).lowercased()
        case .stream(.timedOut): "timed out"
        case .stream(.disconnected), .closedBeforeResponse: "connection closed by the server"
        case .stream(.closed): "connection closed"
        case .malformed(let e): "malformed response (\(e))"
        case .tls(let e): e.description
        }
    }
}

/// A `WebSocketConnection` as a `LoadTestSocket`: its I/O runs in a task from open to close.
final class LiveSocket: LoadTestSocket {
    let connection: WebSocketConnection
    let io: Task<Void, Never>
    let loop: Poller

    init(_ connection: WebSocketConnection, loop: Poller) {
        self.connection = connection
        self.loop = loop
        io = Task(executorPreference: loop) { await connection.run { ws in _ = await ws.waitUntilClosed() } }
    }

    var executor: (any TaskExecutor)? { loop }

    func send(text: String) async throws {
        try connection.send(text: text)
    }

    /// Only the editor's read loop calls this, so one iterator at a time reads the inbox.
    func receive() async throws -> String? {
        var messages = connection.messages.makeAsyncIterator()
        while let message = await messages.next() {
            if let text = message.text { return text }
        }
        return nil
    }

    /// Everything queued on the connection (already validated UTF-8), binary messages skipped.
    func receiveBatch() async throws -> [[UInt8]]? {
        while true {
            let batch = await connection.nextMessages(upTo: 512)
            if batch.isEmpty { return nil }
            var texts: [[UInt8]] = []
            texts.reserveCapacity(batch.count)
            for message in batch where message.kind == .text { texts.append(message.bytes) }
            if !texts.isEmpty { return texts }
        }
    }

    func close() async {
        connection.close()
        await io.value
    }
}

/// A transport failure with a readable message.
public struct TransportFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
