import Glibc
import Synchronization
import WireProtocol

/// A started server: the HTTP server, where it listens, and the gateway answering it.
public final class RunningServer: Sendable {
    public let server: HTTPServer
    public let gateway: Gateway
    public let environment: ServerEnvironment
    /// The port actually bound (the kernel's choice for `--port 0`).
    public let port: Int
    /// What `/metrics` and `/readyz` report.
    public let observability: Observability
    /// The `--metrics-address` listener, when configured, and the port it bound.
    public let metricsServer: HTTPServer?
    public let metricsPort: Int?
    private let onShutdown: @Sendable () async -> Void

    init(
        server: HTTPServer, gateway: Gateway, environment: ServerEnvironment, port: Int,
        observability: Observability, metricsServer: (server: HTTPServer, port: Int)?,
        onShutdown: @escaping @Sendable () async -> Void
    ) {
        self.server = server
        self.gateway = gateway
        self.environment = environment
        self.port = port
        self.observability = observability
        self.metricsServer = metricsServer?.server
        self.metricsPort = metricsServer?.port
        self.onShutdown = onShutdown
    }

    /// The `listening on` line of DESIGN §8: the bound address, not the public URL, so scripts
    /// can read the port back.
    public var listeningLine: String {
        var host = environment.configuration.host
        if host.contains(":") { host = "[\(host)]" }
        return "listening on \(environment.configuration.servesTLS ? "https" : "http")://\(host):\(port)"
    }

    /// Stops accepting, lets in-flight requests finish, and returns when every connection ended;
    /// then stops the features (sessions, stores).
    public func shutdown() async {
        await server.shutdown()
        await metricsServer?.shutdown()
        await onShutdown()
    }

    /// After the server stopped by itself (a signal): stops the metrics listener and the features.
    public func stopFeatures() async {
        await metricsServer?.shutdown()
        await onShutdown()
    }
}

extension Application {
    /// Why the server could not start (a busy port, an address that does not resolve, a route
    /// table that does not compile): one line for the operator.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The HTTP server settings derived from the configuration.
    public var httpConfiguration: HTTPServer.Configuration {
        var http = HTTPServer.Configuration(
            host: configuration.host, port: configuration.port,
            headTimeout: .seconds(configuration.headTimeout), idleTimeout: .seconds(configuration.idleTimeout)
        )
        http.limits.defaultBodyLimit = configuration.maxBodySize
        http.maxConnections = configuration.maxConnections
        http.maxConnectionsPerIP = configuration.maxConnectionsPerIP
        http.ioThreads = configuration.ioThreads
        http.idlePolls = configuration.ioIdlePolls
        return http
    }

    /// Binds, then assembles the gateway with the final base URL, then serves.
    ///
    /// The socket is bound before the features are built because they need the real port; the
    /// few connections that could arrive in between (nobody knows the port yet) get a 503.
    public func start() async throws(StartError) -> RunningServer {
        let slot = GatewaySlot()
        var http = httpConfiguration
        http.tls = try loadTLSIdentity()
        http.onTLSHandshakeFailure = tlsHandshakeFailureLogger
        let server = HTTPServer(configuration: http, responder: slot)
        let port: Int
        do {
            port = try await server.start()
        } catch {
            throw StartError(
                message:
                    "cannot listen on \(configuration.host):\(configuration.port): \(Self.describe(error))")
        }
        let environment = environment(boundPort: port)
        let observability = Observability()
        observability.attach(server: server.metrics)
        let gateway: Gateway
        let components: ServerComponents
        do {
            (gateway, components) = try await makeGatewayAndComponents(
                environment: environment, observability: observability)
        } catch {
            await server.shutdown()
            throw StartError(message: "cannot assemble the server: \(error)")
        }
        slot.install(gateway)
        let metricsServer: (server: HTTPServer, port: Int)?
        do {
            metricsServer = try await startMetricsListener(observability)
        } catch {
            await server.shutdown()
            await components.onShutdown()
            throw error
        }
        return RunningServer(
            server: server, gateway: gateway, environment: environment, port: port,
            observability: observability, metricsServer: metricsServer, onShutdown: components.onShutdown)
    }

    static func describe(_ error: StreamError) -> String {
        switch error {
        case .system(let code): String(cString: strerror(code))
        case .closed: "socket closed"
        case .disconnected: "disconnected"
        case .timedOut: "timed out"
        }
    }
}

/// The responder the server holds from the moment it binds; it forwards to the gateway once the
/// gateway exists. The gateway is set once and read on every request from every I/O loop: an
/// atomic reference, not a lock whose cache line the loops would pass back and forth.
final class GatewaySlot: HTTPResponder {
    /// The installed gateway's address (0 until installed). The slot holds one retain of it,
    /// released in `deinit`.
    private let gateway = Atomic<UInt>(0)

    deinit {
        if let raw = UnsafeRawPointer(bitPattern: gateway.load(ordering: .acquiring)) {
            Unmanaged<Gateway>.fromOpaque(raw).release()
        }
    }

    /// Installs the gateway; only the first call counts.
    func install(_ gateway: Gateway) {
        let raw = Unmanaged.passRetained(gateway).toOpaque()
        let (stored, _) = self.gateway.compareExchange(
            expected: 0, desired: UInt(bitPattern: raw), ordering: .releasing)
        if !stored { Unmanaged<Gateway>.fromOpaque(raw).release() }
    }

    private var installed: Gateway? {
        UnsafeRawPointer(bitPattern: gateway.load(ordering: .acquiring)).map {
            Unmanaged<Gateway>.fromOpaque($0).takeUnretainedValue()
        }
    }

    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        guard let gateway = installed else {
            var headers = HTTPHeaders()
            headers.set("Retry-After", "1")
            return .error(
                APIError(
                    status: 503, code: "unavailable", description: "The server is starting", headers: headers)
            )
        }
        return await gateway.respond(to: request, connection: connection)
    }

    func bodyLimit(for request: HTTPRequest) -> Int? {
        installed?.bodyLimit(for: request)
    }
}
