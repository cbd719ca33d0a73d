/// The application behind an `HTTPServer`.
public protocol HTTPResponder: Sendable {
    /// Answers one complete request. Called in order for the requests of one connection.
    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse

    /// The largest body accepted for a request, asked as soon as its head is parsed (`request`
    /// has an empty body), so an oversized body is refused with 413 before it is read and before
    /// `100 Continue` is sent. nil means the server's default limit.
    func bodyLimit(for request: HTTPRequest) -> Int?
}

extension HTTPResponder {
    public func bodyLimit(for request: HTTPRequest) -> Int? { nil }
}

/// What a responder may know about the connection a request came on.
public struct HTTPConnectionInfo: Sendable, Equatable {
    /// Unique per server run; stable across the requests of one keep-alive connection.
    public var id: UInt64
    /// "ip:port" of the client.
    public var peer: String
    /// The server port the request arrived on.
    public var localPort: Int
    /// The I/O loop (`Poller.index`) that owns the connection for its whole life.
    public var ioLoop: Int

    public init(id: UInt64 = 0, peer: String = "", localPort: Int = 0, ioLoop: Int = 0) {
        self.id = id
        self.peer = peer
        self.localPort = localPort
        self.ioLoop = ioLoop
    }
}

/// A responder from a closure, for tests and small tools.
public struct ClosureResponder: HTTPResponder {
    let handler: @Sendable (HTTPRequest) async -> HTTPResponse
    let limit: @Sendable (HTTPRequest) -> Int?

    public init(
        bodyLimit: @escaping @Sendable (HTTPRequest) -> Int? = { _ in nil },
        _ handler: @escaping @Sendable (HTTPRequest) async -> HTTPResponse
    ) {
        self.handler = handler
        self.limit = bodyLimit
    }

    public func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        await handler(request)
    }

    public func bodyLimit(for request: HTTPRequest) -> Int? { limit(request) }
}
