import CollabCore
import WireProtocol

/// Turns thrown errors into the spec's error body `{error, error_description, details?}`.
///
/// An `APIError` is rendered as it is. Anything else is a bug or an I/O failure: the client gets
/// a 500 `internal_error` that names only the request id, and the error itself goes to the log,
/// so internals (paths, SQL-like messages, stack details) never reach the wire.
public struct ErrorMiddleware: Middleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func handle(_ context: RequestContext, next: RequestResponder) async throws -> HTTPResponse {
        do {
            return try await next(context)
        } catch let error as APIError {
            return .error(error)
        } catch {
            logger.error(
                "unhandled error",
                [
                    ("request_id", .string(context.requestID)),
                    ("method", .string(context.request.method)),
                    ("path", .string(String(context.request.path))),
                    ("error", .string(String(describing: error))),
                ])
            return .error(Self.internalError(requestID: context.requestID))
        }
    }

    static func internalError(requestID: String) -> APIError {
        let suffix = requestID.isEmpty ? "" : " (request id \(requestID))"
        return APIError(
            status: 500, code: "internal_error",
            description: "The server failed to handle the request\(suffix).")
    }
}
