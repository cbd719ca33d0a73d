import CollabCore
import Glibc
import Synchronization
import WireProtocol

/// Facts about the request that inner steps learn and the access log reports. The log
/// middleware binds one per request as a task local, because the context it passes down is a
/// value and changes made further in (the authenticated user) do not flow back out.
public final class AccessLogNotes: Sendable {
    private let userID = Mutex<String?>(nil)

    public init() {}

    /// The notes of the request being handled by the current task, if an access log is running.
    @TaskLocal public static var current: AccessLogNotes?

    public var user: String? {
        get { userID.withLock { $0 } }
        set { userID.withLock { $0 = newValue } }
    }
}

/// Writes one JSON line per request: method, path, status, duration, body bytes, request id,
/// peer, and the user id once authentication has run. Install it inside `RequestIDMiddleware`
/// (so the id is known) and outside error rendering (so failures are logged with their status).
public final class AccessLogMiddleware: InlineMiddleware {
    let logger: Logger
    /// Monotonic nanoseconds; injectable so tests can pin durations.
    let nanoseconds: @Sendable () -> UInt64

    public init(
        logger: Logger,
        nanoseconds: @escaping @Sendable () -> UInt64 = AccessLogMiddleware.monotonicNanoseconds
    ) {
        self.logger = logger
        self.nanoseconds = nanoseconds
    }

    /// As a step of a closure chain: binds the notes an inner `AuthenticationMiddleware` reports
    /// the user to (the context it passes down is a value; nothing flows back out of it).
    public func handle(_ context: RequestContext, next: RequestResponder) async throws -> HTTPResponse {
        guard logger.isEnabled(.info) else { return try await next(context) }
        var context = context
        var scratch = MiddlewareScratch()
        _ = enter(&context, &scratch)
        let notes = AccessLogNotes()
        let outcome: Result<HTTPResponse, any Error>
        do {
            outcome = .success(try await AccessLogNotes.$current.withValue(notes) { try await next(context) })
        } catch {
            outcome = .failure(error)
        }
        scratch.user = notes.user
        return try leave(context, outcome, &scratch)
    }

    public func enter(_ context: inout RequestContext, _ scratch: inout MiddlewareScratch) -> HTTPResponse? {
        if logger.isEnabled(.info) { scratch.start = nanoseconds() }
        return nil
    }

    /// Logs the request; the inline gateway reports the authenticated user in `scratch.user`.
    public func leave(
        _ context: RequestContext, _ outcome: Result<HTTPResponse, any Error>,
        _ scratch: inout MiddlewareScratch
    ) throws -> HTTPResponse {
        guard logger.isEnabled(.info) else { return try outcome.get() }
        switch outcome {
        case .success(let response):
            write(
                context, status: response.status, bytes: response.body.count, start: scratch.start,
                user: scratch.user)
            return response
        case .failure(let error):
            // Only reachable when no error middleware runs inside: the server will answer 500.
            write(context, status: 500, bytes: 0, start: scratch.start, user: scratch.user)
            throw error
        }
    }

    private func write(_ context: RequestContext, status: Int, bytes: Int, start: UInt64, user: String?) {
        let entry = AccessLogEntry(
            time: logger.time, method: context.request.method, target: context.request.target,
            status: status, nanoseconds: nanoseconds() &- start, bytes: bytes,
            requestID: context.requestID, peer: context.peer, userID: user ?? context.user?.id)
        logger.access(entry)
    }

    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
