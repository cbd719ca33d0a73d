import Synchronization
import Testing

@testable import WireProtocol

/// Starts a server on 127.0.0.1 port 0 with `configure` applied to a test configuration.
func startServer(
    _ responder: any HTTPResponder, configure: (inout HTTPServer.Configuration) -> Void = { _ in }
) async throws -> (HTTPServer, Int) {
    var configuration = HTTPServer.Configuration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: responder)
    let port = try await server.start()
    return (server, port)
}

/// Echoes method, target and body; reports the connection id in `X-Connection`.
struct EchoResponder: HTTPResponder {
    var limit: Int?

    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        var headers = HTTPHeaders([("Content-Type", "text/plain"), ("X-Connection", String(connection.id))])
        if !request.trailers.fields.isEmpty { headers.add("X-Trailers", String(request.trailers.count)) }
        let text = "\(request.method) \(request.target) "
        return HTTPResponse(status: 200, headers: headers, body: Array(text.utf8) + request.body)
    }

    func bodyLimit(for request: HTTPRequest) -> Int? { limit }
}

/// A hand-driven client for raw bytes on the wire.
struct RawClient {
    let connection: TCPConnection
    var parser = HTTPParser(mode: .response)

    static func connect(_ port: Int) async throws -> RawClient {
        RawClient(connection: try await TCPConnection.connect(host: "127.0.0.1", port: port))
    }

    func send(_ text: String) async throws { try await connection.write(Array(text.utf8)) }

    /// The next response (1xx included), or nil if the server closed first.
    mutating func readResponse(headRequest: Bool = false) async throws -> HTTPClientResponse? {
        parser.nextResponseIsToHEAD = headRequest
        var head: HTTPMessageHead?
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            while let event = try parser.next() {
                switch event {
                case .head(let h):
                    head = h
                    try parser.startBody(limit: 1 << 30)
                case .complete(let body, let trailers):
                    guard let head else { continue }
                    return HTTPClientResponse(
                        status: head.status, headers: head.headers, body: body, trailers: trailers)
                }
            }
            let n = try await connection.read(into: &buffer, deadline: .after(.seconds(20)))
            if n == 0 {
                guard case .complete(let body, let trailers) = try parser.finish(), let head else {
                    return nil
                }
                return HTTPClientResponse(
                    status: head.status, headers: head.headers, body: body, trailers: trailers)
            }
            parser.feed(buffer[0..<n])
        }
    }

    /// Whether the server closes the connection (EOF or reset) with nothing more to read.
    mutating func closesWithoutMoreBytes() async -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        guard !parser.hasBufferedBytes else { return false }
        do {
            return try await connection.read(into: &buffer, deadline: .after(.seconds(20))) == 0
        } catch {
            return error == .disconnected
        }
    }
}

/// A one-shot signal between a test and a handler, without sleeping.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
