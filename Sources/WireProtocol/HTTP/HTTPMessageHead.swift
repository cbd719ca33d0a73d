/// The head of an HTTP/1.1 message (start line and fields) with the framing decisions the parser
/// derived from it (RFC 9112 §6).
public struct HTTPMessageHead: Sendable, Equatable {
    /// Request method (request mode); empty for responses.
    public var method: String
    /// Request target as sent (request mode); empty for responses.
    public var target: String
    /// Status code (response mode); 0 for requests.
    public var status: Int
    /// Reason phrase (response mode).
    public var reason: String
    public var versionMinor: Int
    public var headers: HTTPHeaders
    /// Whether the connection stays open after this message (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// The request asked for `100 Continue` before sending its body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool
    public var framing: BodyFraming

    public init(
        method: String = "", target: String = "", status: Int = 0, reason: String = "",
        versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(), keepAlive: Bool = true,
        expectsContinue: Bool = false, framing: BodyFraming = .none
    ) {
        self.method = method
        self.target = target
        self.status = status
        self.reason = reason
        self.versionMinor = versionMinor
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.framing = framing
    }

    /// The request this head starts, with an empty body (what a responder sees when asked for the
    /// body limit).
    public var request: HTTPRequest {
        HTTPRequest(method: method, target: target, versionMinor: versionMinor, headers: headers)
    }
}

/// How the body of a message is delimited (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// No body.
    case none
    /// Exactly this many bytes (`Content-Length`).
    case length(Int)
    /// Chunked transfer coding, possibly with trailers.
    case chunked
    /// Until the connection closes (responses only).
    case untilClose
}
