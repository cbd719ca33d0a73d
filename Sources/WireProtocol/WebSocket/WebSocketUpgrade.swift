import FoundationEssentials

/// The server side of the opening handshake (RFC 6455 §4.2): turns an upgrade request into a
/// `101 Switching Protocols` response whose `upgrade` closure runs the WebSocket connection, or
/// into a clean HTTP error with a JSON body `{"error", "error_description"}`.
public enum WebSocketUpgrade {
    /// What was wrong with an upgrade request.
    public struct Refusal: Error, Sendable, Equatable {
        public var status: Int
        public var error: String
        public var description: String
    }

    /// The agreed parameters of an accepted upgrade.
    public struct Agreement: Sendable, Equatable {
        public var accept: String
        public var subprotocol: String?
        public var compression: PerMessageDeflateParameters?
        var deflate: PerMessageDeflateRuntime?
    }

    /// Validates the request and answers it. On success the response is a 101 and, once the
    /// server has written it, `handler` runs with the connection; the connection is closed with
    /// 1000 when `handler` returns.
    public static func respond(
        to request: HTTPRequest, configuration: WebSocketConfiguration = WebSocketConfiguration(),
        handler: @escaping @Sendable (WebSocketConnection) async -> Void
    ) -> HTTPResponse {
        let agreement: Agreement
        switch negotiate(request, configuration: configuration) {
        case .success(let a): agreement = a
        case .failure(let refusal): return errorResponse(refusal)
        }
        var headers = HTTPHeaders()
        headers.add("Upgrade", "websocket")
        headers.add("Connection", "Upgrade")
        headers.add("Sec-WebSocket-Accept", agreement.accept)
        if let p = agreement.subprotocol { headers.add("Sec-WebSocket-Protocol", p) }
        if let c = agreement.compression { headers.add("Sec-WebSocket-Extensions", c.headerValue) }
        return HTTPResponse(status: 101, headers: headers) { stream in
            let connection = WebSocketConnection(
                stream: stream, role: .server, configuration: configuration,
                subprotocol: agreement.subprotocol,
                compression: agreement.compression, deflate: agreement.deflate)
            await connection.run(handler)
        }
    }

    /// True when the request asks for a WebSocket upgrade at all (so a router can tell a plain
    /// GET on a WebSocket path from a broken upgrade).
    public static func isUpgradeRequest(_ request: HTTPRequest) -> Bool {
        WebSocketHandshake.hasToken(request.headers, "Upgrade", "websocket")
    }

    /// The checks of §4.2.1 in order, then origin, subprotocol and extension negotiation.
    public static func negotiate(
        _ request: HTTPRequest, configuration: WebSocketConfiguration
    ) -> Result<Agreement, Refusal> {
        let h = request.headers
        // §4.2.1 point 1: an HTTP/1.1 or higher GET request.
        guard request.method == "GET" else {
            return .failure(
                Refusal(status: 400, error: "invalid_request", description: "WebSocket upgrade requires GET"))
        }
        guard request.versionMinor >= 1 else {
            return .failure(
                Refusal(
                    status: 400, error: "invalid_request", description: "WebSocket upgrade requires HTTP/1.1")
            )
        }
        // Point 3: Upgrade includes "websocket"; point 4: Connection includes "Upgrade".
        guard WebSocketHandshake.hasToken(h, "Upgrade", "websocket") else {
            return .failure(
                Refusal(status: 400, error: "invalid_request", description: "missing Upgrade: websocket"))
        }
        guard WebSocketHandshake.hasToken(h, "Connection", "upgrade") else {
            return .failure(
                Refusal(status: 400, error: "invalid_request", description: "missing Connection: Upgrade"))
        }
        // Point 6 and §4.4: an unsupported version is answered with 426 and the versions we speak.
        guard h.values("Sec-WebSocket-Version").count == 1,
            h["Sec-WebSocket-Version"].map(WebSocketHandshake.trim) == WebSocketHandshake.version
        else {
            return .failure(
                Refusal(
                    status: 426, error: "invalid_request",
                    description: "unsupported Sec-WebSocket-Version; use 13"))
        }
        // Point 5: exactly one key, base64 of 16 bytes.
        let keys = h.values("Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first.map(WebSocketHandshake.trim),
            WebSocketHandshake.isValidKey(key)
        else {
            return .failure(
                Refusal(status: 400, error: "invalid_request", description: "invalid Sec-WebSocket-Key"))
        }
        // §4.2.2 point 4 / §10.2: the origin is the application's decision.
        if let acceptOrigin = configuration.acceptOrigin, !acceptOrigin(h["Origin"]) {
            return .failure(Refusal(status: 403, error: "forbidden", description: "origin not allowed"))
        }
        // §4.2.2: pick the first subprotocol the client listed that we support, or none.
        let offered = WebSocketHandshake.tokens(h, "Sec-WebSocket-Protocol")
        let subprotocol = offered.first { configuration.subprotocols.contains($0) }
        var agreement = Agreement(
            accept: WebSocketHandshake.acceptValue(forKey: key), subprotocol: subprotocol)
        if let c = configuration.compression {
            let offers = WebSocketExtensionOffer.parse(h.values("Sec-WebSocket-Extensions"))
            if let (response, runtime) = PerMessageDeflateNegotiation.accept(offers: offers, configuration: c)
            {
                agreement.compression = response
                agreement.deflate = runtime
            }
        }
        return .success(agreement)
    }

    /// An error response with the JSON error body used across the API.
    static func errorResponse(_ refusal: Refusal) -> HTTPResponse {
        var response = HTTPErrorBody.response(
            status: refusal.status, error: refusal.error, description: refusal.description)
        if refusal.status == 426 {
            // RFC 6455 §4.4: list the versions we support.
            response.headers.add("Sec-WebSocket-Version", WebSocketHandshake.version)
            response.headers.add("Upgrade", "websocket")
        }
        return response
    }
}
