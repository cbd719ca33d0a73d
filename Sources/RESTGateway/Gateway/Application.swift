/// What the server knows once it has bound its socket: the settings, the base URL clients must
/// use (with the real port when `--port 0`), and the logger.
public struct ServerEnvironment: Sendable {
    public var configuration: ServerConfiguration
    public var baseURL: String
    public var logger: Logger
    /// The port actually bound (the default `--advertise-url` of a cluster node is built on it).
    public var boundPort = 0

    public init(configuration: ServerConfiguration, baseURL: String, logger: Logger) {
        self.configuration = configuration
        self.baseURL = baseURL
        self.logger = logger
    }
}

/// The features plugged into the gateway: route providers (identity, REST, collaboration) and
/// the authenticator that checks bearer tokens.
public struct ServerComponents: Sendable {
    public var routeProviders: [any RouteProvider]
    public var authenticator: any Authenticator
    /// Browser origins allowed by CORS; nil allows any.
    public var allowedOrigins: Set<String>?
    /// Runs after the HTTP server has drained (end sessions, flush and close stores).
    public var onShutdown: @Sendable () async -> Void
    /// The features' contributions to `/metrics` (sessions, storage).
    public var metricsSources: [MetricsSource] = []
    /// Why the server cannot take writes now (`/readyz` answers 503 with it); nil when ready.
    public var readiness: @Sendable () async -> String? = { nil }

    public init(
        routeProviders: [any RouteProvider], authenticator: any Authenticator,
        allowedOrigins: Set<String>? = nil, onShutdown: @escaping @Sendable () async -> Void = {}
    ) {
        self.routeProviders = routeProviders
        self.authenticator = authenticator
        self.allowedOrigins = allowedOrigins
        self.onShutdown = onShutdown
    }
}

/// Assembles the server the same way for the executable and for tests: configuration in, a
/// `Gateway` with the public endpoints, the standard middleware and every feature's routes out.
///
/// Features are created by `assemble` only after the socket is bound, because several need the
/// final base URL (the token issuer, OAuth redirects, `websocket_url`).
public struct Application: Sendable {
    public typealias Assemble = @Sendable (ServerEnvironment) async throws -> ServerComponents

    public var configuration: ServerConfiguration
    public var logger: Logger
    public var assemble: Assemble

    public init(configuration: ServerConfiguration, logger: Logger, assemble: @escaping Assemble) {
        self.configuration = configuration
        self.logger = logger
        self.assemble = assemble
    }

    /// For features that do not depend on the base URL.
    public init(
        configuration: ServerConfiguration, logger: Logger, routeProviders: [any RouteProvider],
        authenticator: any Authenticator
    ) {
        let components = ServerComponents(routeProviders: routeProviders, authenticator: authenticator)
        self.init(configuration: configuration, logger: logger) { _ in components }
    }

    /// The environment for a server bound to `boundPort`.
    public func environment(boundPort: Int) -> ServerEnvironment {
        var environment = ServerEnvironment(
            configuration: configuration, baseURL: configuration.baseURL(boundPort: boundPort), logger: logger
        )
        environment.boundPort = boundPort
        return environment
    }

    /// Builds the gateway: public endpoints first, then each feature's routes. A route table that
    /// does not compile (duplicate or malformed pattern) throws here, at start-up.
    public func makeGateway(environment: ServerEnvironment) async throws -> Gateway {
        try await makeGatewayAndComponents(environment: environment, observability: Observability()).gateway
    }

    /// The gateway and the features; `observability` is filled with the features' metrics and
    /// readiness, and its routes join the main port unless `--metrics-address` moves them.
    func makeGatewayAndComponents(environment: ServerEnvironment, observability: Observability) async throws
        -> (gateway: Gateway, components: ServerComponents)
    {
        let components = try await assemble(environment)
        for source in components.metricsSources { observability.add(source) }
        observability.setReadiness(components.readiness)
        let publicEndpoints = PublicEndpoints(configuration: configuration, baseURL: environment.baseURL)
        var routes = publicEndpoints.routes + components.routeProviders.flatMap(\.routes)
        if configuration.metricsAddress == nil {
            routes += OperabilityRoutes(observability: observability).routes
        }
        let gateway = try Gateway(
            routes: routes, authenticator: components.authenticator,
            middleware: Gateway.standardMiddleware(logger: logger, allowedOrigins: components.allowedOrigins),
            defaultBodyLimit: configuration.maxBodySize)
        observability.attach(requests: gateway.requestMetrics)
        return (gateway, components)
    }
}

/// Rejects every token: the authenticator until an identity service is plugged in, so
/// `.authenticated` routes answer 401 rather than being open.
public struct RejectingAuthenticator: Authenticator {
    public init() {}

    public func authenticate(bearer token: String) throws(APIError) -> AuthenticatedUser {
        throw APIError.unauthorized("No identity service is configured")
    }
}
