import CollabCore
import SessionActors
import WireProtocol

/// The operator console (docs/console.md): `GET /console` and its two assets, a live feed of the
/// sessions the caller may see (`/console/ws`), and a read-only live view of one session
/// (`/console/threat_models/{tm}/diagrams/{d}/ws`).
///
/// Both sockets end in `/ws`, so a browser may pass its access token as `?token=` exactly as on
/// the diagram socket; access is decided exactly as for `GET /collaboration/sessions` (reader on
/// the threat model or better).
public struct ConsoleRoutes: RouteProvider {
    let collaboration: CollaborationRoutes
    /// How often the feed is re-sent with nothing happening, so rates and idle times decay.
    let refreshSeconds: Double
    /// Fewest milliseconds between two feed messages (a burst of operations is one message).
    let coalesceMilliseconds: Int

    public init(
        collaboration: CollaborationRoutes, refreshSeconds: Double = 5, coalesceMilliseconds: Int = 250
    ) {
        self.collaboration = collaboration
        self.refreshSeconds = refreshSeconds
        self.coalesceMilliseconds = coalesceMilliseconds
    }

    public var routes: [Route] {
        [
            Route("GET", "/console", access: .open) { _ in Self.asset(.page) },
            Route("GET", "/console/console.js", access: .open) { _ in Self.asset(.script) },
            Route("GET", "/console/console.css", access: .open) { _ in Self.asset(.style) },
            Route("GET", "/console/ws", handler: feed),
            Route("GET", "/console\(CollaborationRoutes.diagram)/ws", handler: watch),
        ]
    }

    /// The page allows only its own script, style and sockets: no inline code, no other origin.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func asset(_ a: ConsoleAsset) -> HTTPResponse {
        var h = HTTPHeaders()
        h.set("Content-Type", a.contentType)
        h.set("Content-Security-Policy", contentSecurityPolicy)
        h.set("X-Content-Type-Options", "nosniff")
        // The page receives tokens in its query after login; never pass that URL on.
        h.set("Referrer-Policy", "no-referrer")
        h.set("Cache-Control", "no-cache")
        return HTTPResponse(status: 200, headers: h, body: a.bytes)
    }

    static func requireUpgrade(_ ctx: RequestContext) throws(APIError) {
        guard WebSocketUpgrade.isUpgradeRequest(ctx.request) else {
            throw APIError(
                status: 426, code: "upgrade_required", description: "this endpoint speaks WebSocket only")
        }
    }

    /// `/console/threat_models/{tm}/diagrams/{d}/ws`: a read-only observer of the live session of
    /// one diagram the caller may read. Messages from the console are ignored.
    @Sendable func watch(_ ctx: RequestContext) async throws -> HTTPResponse {
        let user = try ctx.requireUser()
        let t = try collaboration.target(ctx, user: user)
        guard let session = await collaboration.directory.find(diagramID: t.diagram) else {
            throw APIError.notFound("no collaboration session is live for diagram \(t.diagram)")
        }
        try Self.requireUpgrade(ctx)
        return WebSocketUpgrade.respond(to: ctx.request, configuration: collaboration.webSocket) {
            connection in
            let id = UUIDText.random()
            let outbox = WebSocketOutbox(connection: connection)
            guard await session.observe(id: id, outbox: outbox) else { return }
            for await _ in connection.messages {}
            await session.stopObserving(id: id)
        }
    }
}

/// The console's files, embedded in the executable by SwiftPM (`.embedInCode` in Package.swift):
/// one self-contained binary, nothing to install beside it, no build step for the page.
enum ConsoleAsset {
    case page, script, style

    var bytes: [UInt8] {
        switch self {
        case .page: PackageResources.console_html
        case .script: PackageResources.console_js
        case .style: PackageResources.console_css
        }
    }

    var contentType: String {
        switch self {
        case .page: "text/html; charset=utf-8"
        case .script: "text/javascript; charset=utf-8"
        case .style: "text/css; charset=utf-8"
        }
    }
}
