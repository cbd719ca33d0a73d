import WireProtocol

/// The gateway is what the HTTP server calls for each request.
extension Gateway: HTTPResponder {
    public func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        await respond(to: request, peer: connection.peer)
    }

    /// Asked by the server as soon as a head is parsed, so an oversized body is refused with 413
    /// before it is read or `100 Continue` is sent (RFC 9110 §10.1.1, §15.5.14).
    public func bodyLimit(for request: HTTPRequest) -> Int? {
        bodyLimit(method: request.method, target: request.target)
    }
}
