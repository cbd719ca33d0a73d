import WireProtocol

/// What the inline steps of one request keep between `enter` and `leave`.
public struct MiddlewareScratch: Sendable {
    /// When the access log started timing the request (monotonic nanoseconds).
    var start: UInt64 = 0
    /// The authenticated user's id, for the access log: set by the gateway when it authenticates
    /// the request itself (the inline path), or by the access log from its task-local notes.
    var user: String?

    public init() {}
}

/// A middleware whose work is synchronous before and after the inner steps.
///
/// The gateway runs a global chain made only of these as two loops around one call of the
/// route, instead of one async closure per step: every async call boundary costs an executor
/// check on the way back (`swift_task_switch`, which takes the task's status lock when the task
/// prefers an I/O loop executor, as every connection task does). Eleven of the fifteen such
/// checks of a `GET /` were middleware steps (issue 15, benchmarks/perf.md). As a plain
/// `Middleware` (`handle`) a step behaves exactly as it does inline.
public protocol InlineMiddleware: Middleware {
    /// Runs before the inner steps. A response returned here is the answer: the inner steps and
    /// this step's `leave` do not run, the outer steps' `leave` do.
    func enter(_ context: inout RequestContext, _ scratch: inout MiddlewareScratch) -> HTTPResponse?

    /// Runs after the inner steps with their outcome; returns the response to pass outwards or
    /// throws the error to pass outwards.
    func leave(
        _ context: RequestContext, _ outcome: Result<HTTPResponse, any Error>,
        _ scratch: inout MiddlewareScratch
    ) throws -> HTTPResponse
}

extension InlineMiddleware {
    public func handle(_ context: RequestContext, next: RequestResponder) async throws -> HTTPResponse {
        var context = context
        var scratch = MiddlewareScratch()
        if let early = enter(&context, &scratch) { return early }
        let outcome: Result<HTTPResponse, any Error>
        do {
            outcome = .success(try await next(context))
        } catch {
            outcome = .failure(error)
        }
        return try leave(context, outcome, &scratch)
    }
}
