import CollabCore
import WireProtocol

/// Turns thrown errors into the spec's error body `{error, error_description, details?}`.
///
/// An `APIError` is rendered as it is. Anything else is a bug or an I/O failure: the client gets
/// a 500 `internal_error` that names only the request id, and the error itself goes to the log,
/// so internals (paths, SQL-like messages, stack details) never reach the wire.
public final class ErrorMiddleware: InlineMiddleware {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func enter(_ context: inout RequestContext, _ scratch: inout MiddlewareScratch) -> HTTPResponse? {
        nil
    }

    public func leave(
        _ context: RequestContext, _ outcome: Result<HTTPResponse, any Error>,
        _ scratch: inout MiddlewareScratch
    ) throws -> HTTPResponse {
        switch outcome {
        case .success(let response):
            return response
        case .failure(let error as APIError):
            return .error(error)
        case .failure(let error):
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
