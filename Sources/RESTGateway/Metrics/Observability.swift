import Synchronization
import WireProtocol

/// One contribution to `/metrics`: a feature renders its own families (sessions, storage...).
public typealias MetricsSource = @Sendable () async -> MetricsText

/// What `/metrics`, `/healthz` and `/readyz` report on. The server fills it in as it starts (the
/// HTTP server's counters exist only once it is bound, the gateway's once the routes compile),
/// so it is a small registry behind a lock taken once per scrape, never per request.
public final class Observability: Sendable {
    private struct Parts {
        var server: HTTPServerMetrics?
        var requests: HTTPRequestMetrics?
        var sources: [MetricsSource] = []
        var readiness: @Sendable () async -> String? = { nil }
    }

    private let parts = Mutex(Parts())

    public init() {}

    public func attach(server: HTTPServerMetrics) { parts.withLock { $0.server = server } }
    func attach(requests: HTTPRequestMetrics) { parts.withLock { $0.requests = requests } }
    public func add(_ source: @escaping MetricsSource) { parts.withLock { $0.sources.append(source) } }

    /// `reason` nil: ready. Otherwise `/readyz` answers 503 with the reason.
    public func setReadiness(_ check: @escaping @Sendable () async -> String?) {
        parts.withLock { $0.readiness = check }
    }

    public func notReadyReason() async -> String? {
        let check = parts.withLock { $0.readiness }
        return await check()
    }

    /// The whole exposition, in text format 0.0.4.
    public func render() async -> String {
        let (server, requests, sources) = parts.withLock { ($0.server, $0.requests, $0.sources) }
        var out = MetricsText()
        if let requests { requests.render(into: &out) }
        if let server { Self.render(server.snapshot, into: &out) }
        var text = out.text
        for source in sources { text += await source().text }
        var process = MetricsText()
        ProcessMetrics.render(into: &process)
        return text + process.text
    }

    static func render(_ s: HTTPServerMetrics.Snapshot, into out: inout MetricsText) {
        out.single(
            "tmi_http_connections_open", .gauge, help: "TCP connections open now (WebSockets included).",
            Double(s.connectionsOpen))
        out.single(
            "tmi_http_connections_total", .counter, help: "TCP connections accepted.",
            Double(s.connectionsAccepted))
        out.single(
            "tmi_websocket_connections_open", .gauge, help: "WebSocket connections open now.",
            Double(s.upgradedOpen))
        out.single(
            "tmi_websocket_connections_total", .counter, help: "WebSocket connections upgraded.",
            Double(s.upgradedTotal))
        out.single(
            "tmi_network_received_bytes_total", .counter,
            help: "Bytes read from client connections (HTTP and WebSocket).", Double(s.bytesReceived))
        out.single(
            "tmi_network_sent_bytes_total", .counter,
            help: "Bytes written to client connections (HTTP and WebSocket).", Double(s.bytesSent))
    }
}

/// `GET /metrics`, `GET /healthz` and `GET /readyz`: open (no token), as scrapers and load
/// balancers call them. Served on the main port, or on `--metrics-address` instead.
public struct OperabilityRoutes: RouteProvider {
    let observability: Observability

    public init(observability: Observability) { self.observability = observability }

    public var routes: [Route] {
        [
            Route("GET", "/metrics", access: .open) { [observability] _ in
                var headers = HTTPHeaders()
                headers.set("Content-Type", MetricsText.contentType)
                headers.set("Cache-Control", "no-store")
                return HTTPResponse(
                    status: 200, headers: headers, body: Array(await observability.render().utf8))
            },
            Route("GET", "/healthz", access: .open) { _ in .json(["status": "ok"]) },
            Route("GET", "/readyz", access: .open) { [observability] _ in
                guard let reason = await observability.notReadyReason() else {
                    return .json(["status": "ready"])
                }
                return .json(["error": "not_ready", "error_description": .string(reason)], status: 503)
            },
        ]
    }
}
