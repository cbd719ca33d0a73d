import WireProtocol

/// The next step of a middleware chain: the remaining middleware and, at the end, the router.
public typealias RequestResponder = @Sendable (RequestContext) async throws -> HTTPResponse

/// One step around request handling. It may change the context before calling `next`, change
/// the response after, or answer itself without calling `next` (short-circuit).
public protocol Middleware: Sendable {
    func handle(_ context: RequestContext, next: RequestResponder) async throws -> HTTPResponse
}

extension Array where Element == any Middleware {
    /// Wraps `responder` in these middleware; the first element is the outermost.
    public func wrapping(_ responder: @escaping RequestResponder) -> RequestResponder {
        var next = responder
        for middleware in reversed() {
            let inner = next
            next = { context in try await middleware.handle(context, next: inner) }
        }
        return next
    }
}
