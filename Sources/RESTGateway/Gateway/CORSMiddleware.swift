import WireProtocol

/// Cross-origin access for browser clients (the TMI web app runs on another origin).
///
/// Every response to a request with `Origin` gets `Access-Control-Allow-Origin` and the headers a
/// script may read (`Location` of a 201, the request id). A preflight (`OPTIONS` with `Origin`
/// and `Access-Control-Request-Method`) is answered here with 204, before routing, so it never
/// needs a route of its own. Tokens travel in `Authorization`, not cookies, so credentials mode is
/// not enabled.
public final class CORSMiddleware: InlineMiddleware {
    /// Origins allowed to call; nil allows any and echoes it back.
    let allowedOrigins: Set<String>?
    let allowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
    let allowHeaders = "Authorization, Content-Type, X-Request-ID"
    let exposeHeaders = "Location, X-Request-ID, WWW-Authenticate, Allow"
    /// How long a browser may cache a preflight answer, in seconds.
    let maxAge = 600

    public init(allowedOrigins: Set<String>? = nil) {
        self.allowedOrigins = allowedOrigins
    }

    /// Answers a preflight here, before routing.
    public func enter(_ context: inout RequestContext, _ scratch: inout MiddlewareScratch) -> HTTPResponse? {
        let headers = context.request.headers
        guard context.request.method == "OPTIONS", let origin = headers["Origin"],
            headers.contains("Access-Control-Request-Method")
        else { return nil }
        var response = HTTPResponse(status: 204)
        if isAllowed(origin) {
            addOriginHeaders(to: &response, origin: origin)
            response.headers.set("Access-Control-Allow-Methods", allowMethods)
            response.headers.set("Access-Control-Allow-Headers", allowHeaders)
            response.headers.set("Access-Control-Max-Age", String(maxAge))
        }
        return response
    }

    /// Adds the origin's headers to every other response to a request with `Origin`.
    public func leave(
        _ context: RequestContext, _ outcome: Result<HTTPResponse, any Error>,
        _ scratch: inout MiddlewareScratch
    ) throws -> HTTPResponse {
        var response = try outcome.get()
        guard let origin = context.request.headers["Origin"], isAllowed(origin) else { return response }
        addOriginHeaders(to: &response, origin: origin)
        response.headers.set("Access-Control-Expose-Headers", exposeHeaders)
        return response
    }

    private func isAllowed(_ origin: String) -> Bool {
        allowedOrigins.map { $0.contains(origin) } ?? true
    }

    private func addOriginHeaders(to response: inout HTTPResponse, origin: String) {
        response.headers.set("Access-Control-Allow-Origin", origin)
        // The value depends on the request's Origin, so caches must key on it (Fetch §3.2.5).
        response.headers.add("Vary", "Origin")
    }
}
