import WireProtocol

/// The gateway is what the HTTP server calls for each request.
extension Gateway: HTTPResponder {
    public func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        await respond(to: request, peer: connection.peer)
    }

    /// Asked by the server as soon as a head is parsed, so an oversized body is refused with 413
    /// before it is read or `100 Continue` is sent (RFC 9110 §10.1.1, §15.5.14).
    ///
    /// A request with neither `Content-Length` nor `Transfer-Encoding` has no body (RFC 9112
    /// §6.3), so no limit applies and the route search (a second one per request, the
    /// dispatch does its own) is skipped: most reads are such requests.
    public func bodyLimit(for request: HTTPRequest) -> Int? {
        if request.headers["Content-Length"] == nil && request.headers["Transfer-Encoding"] == nil {
            return nil
        }
        return bodyLimit(method: request.method, target: request.target)
    }
}
