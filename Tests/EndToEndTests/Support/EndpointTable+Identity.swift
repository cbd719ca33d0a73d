import CollabCore
import RESTGateway
import WireProtocol

/// Rows for discovery, OAuth (the real identity service and its test provider) and the session list.
extension EndpointTable {
    static func custom(
        _ method: String, _ path: String, _ status: Int,
        _ run: @escaping @Sendable (EndpointWorld) async throws -> Reply
    ) -> EndpointScenario {
        EndpointScenario(method: method, path: path, status: status, run: run)
    }

    static var discovery: [EndpointScenario] {
        [
            "/", "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
            "/.well-known/jwks.json",
        ].flatMap { path in
            [
                row("GET", path, 200, .anonymous),
                // RFC 9112 §3.2: an HTTP/1.1 request with two Host fields is refused with 400.
                custom("GET", path, 400) { world in try await twoHosts(path, port: world.server.port) },
            ]
        }
    }

    static func twoHosts(_ path: String, port: Int) async throws -> Reply {
        let client = HTTPClient(port: port)
        var headers = HTTPHeaders()
        headers.add("Host", "127.0.0.1:\(port)")
        headers.add("Host", "example.com")
        let result: Result<HTTPClientResponse, HTTPClientError>
        do {
            result = .success(
                try await client.send(HTTPRequest(method: "GET", target: path, headers: headers)))
        } catch {
            result = .failure(error)
        }
        await client.close()
        let response = try result.get()
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    /// The test provider's redirect to our callback (code and state in its query).
    static func callbackURL(_ world: EndpointWorld, hint: String, appCallback: String? = nil) async throws
        -> String
    {
        let reply = try await Browser.send(
            "GET", world.identity.authorizeURL(hint: hint, callback: appCallback))
        guard reply.status == 302, let location = reply.location else {
            throw FixtureFailed(what: "authorize → \(reply.status)")
        }
        return location
    }

    static var identity: [EndpointScenario] {
        [
            row("GET", "/oauth2/providers", 200, .anonymous),
            custom("GET", "/oauth2/authorize", 302) { w in
                try await Browser.send("GET", w.identity.authorizeURL(hint: "alice"))
            },
            custom("GET", "/oauth2/authorize", 400) { w in
                try await Browser.send("GET", w.identity.authorizeURL(idp: "no-such-provider", hint: "alice"))
            },
            custom("POST", "/oauth2/token", 200) { w in
                let callback = try await callbackURL(w, hint: "carol")
                let code = TestURL(callback)?.query["code"] ?? ""
                return try await w.identity.post(
                    "/oauth2/token",
                    json: [
                        "code": .string(code), "redirect_uri": .string(w.server.baseURL + "/oauth2/callback"),
                    ])
            },
            custom("POST", "/oauth2/token", 400) { w in try await w.identity.post("/oauth2/token", json: [:])
            },
            custom("POST", "/oauth2/refresh", 200) { w in
                let tokens = try await w.identity.loginJSON("dave")
                return try await w.identity.post(
                    "/oauth2/refresh", json: ["refresh_token": .string(tokens.refresh)])
            },
            custom("POST", "/oauth2/refresh", 400) { w in
                try await w.identity.post("/oauth2/refresh", json: [:])
            },
            custom("POST", "/oauth2/refresh", 401) { w in
                try await w.identity.post("/oauth2/refresh", json: ["refresh_token": "not-a-refresh-token"])
            },
            row("GET", "/oauth2/userinfo", 200),
            row("GET", "/oauth2/userinfo", 401, .anonymous),
            // Without a client callback our callback answers the token JSON itself.
            custom("GET", "/oauth2/callback", 200) { w in
                try await Browser.send("GET", try await callbackURL(w, hint: "erin"))
            },
            custom("GET", "/oauth2/callback", 302) { w in
                let app = "http://127.0.0.1:9/app/callback"
                return try await Browser.send("GET", try await callbackURL(w, hint: "erin", appCallback: app))
            },
            custom("GET", "/oauth2/callback", 400) { w in
                try await Browser.send("GET", w.server.baseURL + "/oauth2/callback?code=x")
            },
            custom("GET", "/oauth2/callback", 401) { w in
                let live = TestURL(try await callbackURL(w, hint: "erin"))?.query["state"] ?? ""
                return try await Browser.send(
                    "GET", w.server.baseURL + "/oauth2/callback?code=bogus&state=\(live)")
            },
            custom("POST", "/oauth2/introspect", 200) { w in
                try await w.identity.post("/oauth2/introspect", form: [("token", w.owner.access)])
            },
            custom("POST", "/oauth2/introspect", 400) { w in
                try await w.identity.post("/oauth2/introspect", form: [])
            },
            // A user of its own: revoking must not end the table's users' tokens.
            custom("POST", "/oauth2/revoke", 204) { w in
                let tokens = try await w.identity.loginJSON("frank")
                return try await w.identity.post(
                    "/oauth2/revoke", json: ["token": .string(tokens.refresh)], bearer: tokens.access)
            },
            custom("POST", "/oauth2/revoke", 401) { w in
                try await w.identity.post("/oauth2/revoke", json: ["token": "x"])
            },
        ]
    }

    static var collaboration: [EndpointScenario] {
        [
            row("GET", "/collaboration/sessions", 200),
            row("GET", "/collaboration/sessions", 401, .anonymous),
        ]
    }
}
