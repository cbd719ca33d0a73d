import CollabCore
import WireProtocol

/// The application side of the HTTP server: turns one request into one response.
///
/// Built once at start from the route providers: the routes are compiled into a `Router`, each
/// `.authenticated` route is wrapped in `AuthenticationMiddleware`, and the whole dispatch is
/// wrapped in the global middleware (request id, access log, CORS, error rendering, outermost
/// first). After that, handling a request touches only immutable state.
public final class Gateway: Sendable {
    /// Default largest request body, for routes that do not say and for unknown paths.
    public static let defaultBodyLimit = 2 << 20

    public let router: Router
    /// Per route, the handler with its per-route middleware applied; indexed like the router.
    private let handlers: [RequestResponder]
    private let chain: RequestResponder
    /// The global middleware when every step is an `InlineMiddleware` (the standard set is):
    /// then requests take `respondInline`, which runs the steps as plain calls around the route.
    private let inlineSteps: [any InlineMiddleware]?
    /// Per route, the bare handler and whether it needs a bearer token (the inline path
    /// authenticates itself, so it can tell the access log who the user was).
    private let bareRoutes: [(handler: RequestResponder, authenticated: Bool)]
    private let authentication: AuthenticationMiddleware
    /// Per route, its body limit; routes left at the `Route` default get `fallbackBodyLimit`.
    private let bodyLimits: [Int]
    private let fallbackBodyLimit: Int
    /// Requests by route template and status, with latency (for `/metrics`).
    public let requestMetrics: HTTPRequestMetrics

    /// - Parameters:
    ///   - routes: the routing table; a duplicate method+pattern or a bad pattern throws.
    ///   - authenticator: checks bearer tokens on `.authenticated` routes.
    ///   - middleware: global middleware, outermost first (see `standardMiddleware`).
    ///   - defaultBodyLimit: the limit for unknown paths and for routes that kept the `Route`
    ///     default (the `--max-body-size` setting).
    public init(
        routes: [Route], authenticator: any Authenticator, middleware: [any Middleware],
        defaultBodyLimit: Int = Gateway.defaultBodyLimit
    ) throws(Router.CompileError) {
        let router = try Router(routes: routes)
        let authentication = AuthenticationMiddleware(authenticator: authenticator)
        var handlers: [RequestResponder] = []
        for index in 0..<router.routeCount {
            let route = router.route(at: index)
            switch route.access {
            case .open: handlers.append(route.handler)
            case .authenticated: handlers.append([authentication].wrapping(route.handler))
            }
        }
        self.router = router
        self.handlers = handlers
        self.fallbackBodyLimit = defaultBodyLimit
        self.bodyLimits = (0..<router.routeCount).map { index in
            let limit = router.route(at: index).bodyLimit
            return limit == Self.defaultBodyLimit ? defaultBodyLimit : limit
        }
        self.requestMetrics = HTTPRequestMetrics(
            routes: (0..<router.routeCount).map {
                (router.route(at: $0).method, router.route(at: $0).pattern)
            })
        let dispatch: RequestResponder = { [router, handlers] context in
            try await Self.dispatch(context, router: router, handlers: handlers)
        }
        self.chain = middleware.wrapping(dispatch)
        self.authentication = authentication
        self.bareRoutes = (0..<router.routeCount).map { index in
            let route = router.route(at: index)
            return (route.handler, route.access == .authenticated)
        }
        let inline = middleware.compactMap { $0 as? any InlineMiddleware }
        self.inlineSteps = inline.count == middleware.count ? inline : nil
    }

    /// The middleware every server runs, outermost first.
    public static func standardMiddleware(logger: Logger, allowedOrigins: Set<String>? = nil)
        -> [any Middleware]
    {
        [
            RequestIDMiddleware(), AccessLogMiddleware(logger: logger),
            CORSMiddleware(allowedOrigins: allowedOrigins), ErrorMiddleware(logger: logger),
        ]
    }

    /// Answers one request. Never throws: an error escaping every middleware becomes a 500.
    public func respond(to request: HTTPRequest, peer: String = "") async -> HTTPResponse {
        let start = AccessLogMiddleware.monotonicNanoseconds()
        let lookup = router.lookup(method: request.method, path: request.path)
        let response: HTTPResponse
        do {
            // The context is built in the call that takes it: a local variable passed on was
            // copied once more, and a copy of a `RequestContext` retains and later releases a
            // dozen references.
            if let inlineSteps {
                response = try await respondInline(
                    RequestContext(request: request, peer: peer, routeLookup: lookup), steps: inlineSteps)
            } else {
                response = try await chain(RequestContext(request: request, peer: peer, routeLookup: lookup))
            }
        } catch let error as APIError {
            response = .error(error)
        } catch {
            response = .error(ErrorMiddleware.internalError(requestID: ""))
        }
        var route = requestMetrics.unmatched
        if case .found(let index, _) = lookup { route = index }
        requestMetrics.record(
            route: route, status: response.status,
            nanoseconds: AccessLogMiddleware.monotonicNanoseconds() &- start)
        return response
    }

    /// The largest body the route for this request head accepts, so the HTTP server can answer
    /// 413 before reading it (RFC 9110 §15.5.14). Unknown paths get the default.
    public func bodyLimit(method: String, target: String) -> Int {
        if case .found(let index, _) = router.lookup(method: method, path: HTTPRequest.path(ofTarget: target))
        {
            return bodyLimits[index]
        }
        return fallbackBodyLimit
    }

    /// The global steps as plain calls around the route: what `chain` does, with one async call
    /// (the route's handler, after authentication) instead of two per step.
    ///
    /// The context is taken, not copied, and the route's parameters and user are set on this one
    /// value: each copy of a `RequestContext` retains and later releases a dozen references.
    private func respondInline(_ context: consuming RequestContext, steps: [any InlineMiddleware])
        async throws -> HTTPResponse
    {
        var scratch = MiddlewareScratch()
        var entered = 0
        var early: HTTPResponse?
        for step in steps {
            if let response = step.enter(&context, &scratch) {
                early = response
                break
            }
            entered += 1
        }
        var outcome: Result<HTTPResponse, any Error>
        if let early {
            outcome = .success(early)
        } else {
            do {
                outcome = .success(try await dispatchInline(&context, scratch: &scratch))
            } catch {
                outcome = .failure(error)
            }
        }
        var index = entered - 1
        while index >= 0 {
            do {
                outcome = .success(try steps[index].leave(context, outcome, &scratch))
            } catch {
                outcome = .failure(error)
            }
            index -= 1
        }
        return try outcome.get()
    }

    /// `dispatch` for the inline path: authenticates `.authenticated` routes here and notes the
    /// user for the access log. The steps' `leave` then see the context with the route's
    /// parameters and the user set.
    private func dispatchInline(_ context: inout RequestContext, scratch: inout MiddlewareScratch)
        async throws -> HTTPResponse
    {
        guard case .found(let index, let parameters) = context.routeLookup else {
            return try await Self.dispatch(context, router: router, handlers: handlers)
        }
        context.pathParameters = parameters
        let route = bareRoutes[index]
        if route.authenticated {
            scratch.user = try authentication.authenticate(&context).id
        }
        return try await route.handler(context)
    }

    private static func dispatch(_ context: RequestContext, router: Router, handlers: [RequestResponder])
        async throws -> HTTPResponse
    {
        switch context.routeLookup
            ?? router.lookup(method: context.request.method, path: context.request.path)
        {
        case .found(let index, let parameters):
            var context = context
            context.pathParameters = parameters
            return try await handlers[index](context)
        case .methodNotAllowed(let allow):
            // RFC 9110 §15.5.6: a 405 MUST carry Allow with the target's methods.
            var headers = HTTPHeaders()
            headers.set("Allow", allow.joined(separator: ", "))
            throw APIError(
                status: 405, code: "method_not_allowed",
                description: "\(context.request.method) is not supported on this path; allowed: "
                    + allow.joined(separator: ", "),
                headers: headers)
        case .options(let allow):
            var headers = HTTPHeaders()
            headers.set("Allow", allow.joined(separator: ", "))
            return .empty(status: 204, headers: headers)
        case .notFound:
            throw APIError.notFound("No resource at \(String(context.request.path).prefix(200))")
        }
    }
}
