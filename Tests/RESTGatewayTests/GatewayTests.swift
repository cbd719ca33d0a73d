import CollabCore
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct GatewayTests {
    static func gateway(logger: Logger = .discarding) throws -> Gateway {
        let routes = [
            Route("GET", "/items", access: .open) { _ in .json(.array([1, 2])) },
            Route("POST", "/items", access: .authenticated, bodyLimit: 1024) { ctx in
                .json(try ctx.jsonBody(), status: 201)
            },
            Route("GET", "/items/{item_id}", access: .open) { ctx in
                .json(.object(["id": .string(ctx.pathParameters["item_id"] ?? "")]))
            },
            Route("GET", "/crash", access: .open) { _ in throw Boom() },
        ]
        return try Gateway(
            routes: routes, authenticator: StubAuthenticator(),
            middleware: Gateway.standardMiddleware(logger: logger))
    }

    @Test func unknownPathIs404JSONError() async throws {
        let response = try await Self.gateway().respond(to: .make("GET", "/nowhere"))
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.json?["error"] == "not_found")
        #expect(response.json?["error_description"]?.stringValue?.isEmpty == false)
        #expect(response.headers["X-Request-ID"] != nil)
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let response = try await Self.gateway().respond(to: .make("DELETE", "/items"))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS, POST")
        #expect(response.json?["error"] == "method_not_allowed")
    }

    @Test func headIsServedByGet() async throws {
        let response = try await Self.gateway().respond(to: .make("HEAD", "/items/7"))
        #expect(response.status == 200)
        #expect(response.json == .object(["id": "7"]))
    }

    @Test func optionsWithoutCORSListsMethods() async throws {
        let response = try await Self.gateway().respond(to: .make("OPTIONS", "/items/7"))
        #expect(response.status == 204)
        #expect(response.headers["Allow"] == "GET, HEAD, OPTIONS")
    }

    @Test func preflightIsAnsweredEvenForAuthenticatedRoutes() async throws {
        let response = try await Self.gateway().respond(
            to: .make(
                "OPTIONS", "/items",
                headers: [("Origin", "http://ui"), ("Access-Control-Request-Method", "POST")]))
        #expect(response.status == 204)
        #expect(response.headers["Access-Control-Allow-Origin"] == "http://ui")
    }

    @Test func authenticatedRouteNeedsToken() async throws {
        let g = try Self.gateway()
        let denied = await g.respond(
            to: .make("POST", "/items", headers: [("Origin", "http://ui")], body: "{}"))
        #expect(denied.status == 401)
        #expect(denied.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
        // Browsers can only read the 401 if it carries CORS headers too.
        #expect(denied.headers["Access-Control-Allow-Origin"] == "http://ui")
        let allowed = await g.respond(
            to: .make(
                "POST", "/items",
                headers: [("Authorization", "Bearer good-token"), ("Content-Type", "application/json")],
                body: #"{"a":1}"#))
        #expect(allowed.status == 201)
        #expect(allowed.json == .object(["a": 1]))
    }

    @Test func unexpectedErrorIs500() async throws {
        let sink = CapturingLogSink()
        let response = try await Self.gateway(logger: Logger(sink: sink)).respond(to: .make("GET", "/crash"))
        #expect(response.status == 500)
        #expect(response.json?["error"] == "internal_error")
        #expect(!String(decoding: response.body, as: UTF8.self).contains("secret"))
        #expect(sink.captured.contains { $0.contains("secret internal detail") })
    }

    @Test func bodyLimitFollowsTheRoute() throws {
        let g = try Self.gateway()
        #expect(g.bodyLimit(method: "POST", target: "/items?x=1") == 1024)
        #expect(g.bodyLimit(method: "GET", target: "/items/3") == 2 << 20)
        #expect(g.bodyLimit(method: "POST", target: "/unknown") == Gateway.defaultBodyLimit)
        #expect(g.bodyLimit(for: .make("POST", "/items/", headers: [("Content-Length", "5")])) == 1024)
        #expect(
            g.bodyLimit(for: .make("POST", "/items/", headers: [("Transfer-Encoding", "chunked")])) == 1024)
        // RFC 9112 §6.3: neither header means no body, so no route-specific limit is looked up.
        #expect(g.bodyLimit(for: .make("POST", "/items/")) == nil)
    }

    @Test func configuredDefaultAppliesToRoutesWithoutTheirOwnLimit() throws {
        let routes = [
            Route("POST", "/small", access: .open, bodyLimit: 10) { _ in .empty() },
            Route("POST", "/plain", access: .open) { _ in .empty() },
        ]
        let g = try Gateway(
            routes: routes, authenticator: StubAuthenticator(), middleware: [], defaultBodyLimit: 5000)
        #expect(g.bodyLimit(method: "POST", target: "/small") == 10)
        #expect(g.bodyLimit(method: "POST", target: "/plain") == 5000)
        #expect(g.bodyLimit(method: "POST", target: "/elsewhere") == 5000)
    }

    @Test func queryIsParsedIntoTheContext() async throws {
        let routes = [Route("GET", "/q", access: .open, handler: echoResponder)]
        let g = try Gateway(routes: routes, authenticator: StubAuthenticator(), middleware: [])
        let response = await g.respond(to: .make("GET", "/q?limit=10&name=a+b%21"))
        #expect(response.json?["query"] == .object(["limit": "10", "name": "a b!"]))
    }

    @Test func duplicateRoutesFailAtStartUp() {
        let routes = [
            Route("GET", "/a", access: .open) { _ in .empty() },
            Route("GET", "/a", access: .open) { _ in .empty() },
        ]
        #expect(throws: Router.CompileError.self) {
            try Gateway(routes: routes, authenticator: StubAuthenticator(), middleware: [])
        }
    }
}
