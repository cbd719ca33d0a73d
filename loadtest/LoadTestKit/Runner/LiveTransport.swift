import Glibc
import WireProtocol

/// The real network transport: WireProtocol's `HTTPClient` for REST (one keep-alive connection,
/// requests serialized — the runner's REST traffic is setup and verification only) and, per
/// editor, a fresh connection upgraded to a WebSocket (RFC 6455 §4.1 handshake) and driven by
/// `WebSocketLink`.
public struct LiveTransport: LoadTestTransport {
    let host: String
    let port: Int
    let rest: HTTPClient

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
        rest = HTTPClient(host: host, port: port, timeout: .seconds(30))
    }

    public static func make(options: LoadTestOptions) throws(LoadTestError) -> any LoadTestTransport {
        LiveTransport(host: options.host, port: options.port)
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

    public func openWebSocket(target: String) async throws -> any LoadTestSocket {
        var keyBytes = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<16 { keyBytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let key = Base64.encode(keyBytes)
        var headers = HTTPHeaders()
        headers.add("Upgrade", "websocket")
        headers.add("Connection", "Upgrade")
        headers.add("Sec-WebSocket-Key", key)
        headers.add("Sec-WebSocket-Version", "13")
        let client = HTTPClient(host: host, port: port, timeout: .seconds(30))
        let upgraded: (response: HTTPClientResponse, stream: (any ByteStream)?)
        do {
            upgraded = try await client.upgrade(HTTPRequest(method: "GET", target: target, headers: headers))
        } catch {
            throw TransportFailure(Self.describe(error))
        }
        guard let stream = upgraded.stream else {
            await client.close()
            throw TransportFailure(
                "WebSocket upgrade answered \(upgraded.response.status) \(upgraded.response.text.prefix(200))"
            )
        }
        // The client MUST fail the connection unless the accept value matches (RFC 6455 §4.1).
        guard
            upgraded.response.headers["sec-websocket-accept"]
                == WebSocketClientFrames.acceptValue(forKey: key)
        else {
            stream.close()
            throw TransportFailure("WebSocket upgrade had a wrong Sec-WebSocket-Accept")
        }
        return WebSocketLink(stream: stream)
    }

    /// One line for the operator: "connection refused" rather than an enum dump.
    static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .stream(.system(let code)): String(cString: strerror(code)).lowercased()
        case .stream(.timedOut): "timed out"
        case .stream(.disconnected), .closedBeforeResponse: "connection closed by the server"
        case .stream(.closed): "connection closed"
        case .malformed(let e): "malformed response (\(e))"
        }
    }
}

/// A transport failure with a readable message.
public struct TransportFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
