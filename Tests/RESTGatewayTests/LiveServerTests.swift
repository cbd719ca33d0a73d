import CollabCore
import Testing
import WireProtocol

@testable import RESTGateway

/// The assembled server through real sockets on port 0: what the executable runs.
@Suite struct LiveServerTests {
    struct Echo: RouteProvider {
        var routes: [Route] {
            [
                Route("POST", "/echo", access: .open, bodyLimit: 16) { ctx in .json(try ctx.jsonBody()) },
                Route("GET", "/me", access: .authenticated) { ctx in
                    .json(.string(try ctx.requireUser().email))
                },
            ]
        }
    }

    static func withServer(_ body: (RunningServer, HTTPClient) async throws -> Void) async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        // Generous deadlines: in the full suite, CPU-heavy tests elsewhere can hold the
        // cooperative pool for seconds, and these tests are not about timeouts.
        configuration.headTimeout = 120
        configuration.idleTimeout = 120
        let application = Application(
            configuration: configuration, logger: .discarding, routeProviders: [Echo()],
            authenticator: StubAuthenticator())
        let running = try await application.start()
        let client = HTTPClient(port: running.port, timeout: .seconds(120))
        do {
            try await body(running, client)
        } catch {
            await client.close()
            await running.shutdown()
            throw error
        }
        await client.close()
        await running.shutdown()
    }

    @Test func rootUnknownPathAndWrongMethod() async throws {
        try await Self.withServer { running, client in
            #expect(running.port > 0)
            #expect(running.listeningLine == "listening on http://127.0.0.1:\(running.port)")
            #expect(running.environment.baseURL == "http://127.0.0.1:\(running.port)")

            let root = try await client.get("/")
            #expect(root.status == 200)
            #expect(root.headers["Content-Type"] == "application/json")
            let info = try JSONValue.parse(root.body)
            #expect(schemaViolations(info, SpecSchemas.apiInfo) == [])

            let missing = try await client.get("/no/such/thing")
            #expect(missing.status == 404)
            #expect(try JSONValue.parse(missing.body)["error"] == "not_found")

            let wrong = try await client.send(HTTPRequest(method: "DELETE", target: "/"))
            #expect(wrong.status == 405)
            #expect(wrong.headers["Allow"] == "GET, HEAD, OPTIONS")
            #expect(try JSONValue.parse(wrong.body)["error"] == "method_not_allowed")

            // The discovery issuer carries the port the kernel picked.
            let discovery = try await client.get("/.well-known/openid-configuration")
            #expect(
                try JSONValue.parse(discovery.body)["issuer"] == .string("http://127.0.0.1:\(running.port)"))
        }
    }

    @Test func routeBodyLimitAndAuthenticationOverTheWire() async throws {
        try await Self.withServer { _, client in
            var headers = HTTPHeaders()
            headers.set("Content-Type", "application/json")
            let small = try await client.send(
                HTTPRequest(method: "POST", target: "/echo", headers: headers, body: Array(#"{"a":1}"#.utf8)))
            #expect(small.status == 200)
            #expect(try JSONValue.parse(small.body) == .object(["a": 1]))

            let large = try await client.send(
                HTTPRequest(
                    method: "POST", target: "/echo", headers: headers, body: Array(repeating: 32, count: 17)))
            #expect(large.status == 413)
            await client.close()  // the server closes after a 413

            let anonymous = try await client.get("/me")
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
            var auth = HTTPHeaders()
            auth.set("Authorization", "Bearer good-token")
            let me = try await client.get("/me", headers: auth)
            #expect(me.status == 200)
            #expect(try JSONValue.parse(me.body) == "alice@test.tmi")
        }
    }

    @Test func busyPortIsAClearStartError() async throws {
        try await Self.withServer { running, _ in
            var configuration = ServerConfiguration()
            configuration.port = running.port
            let second = Application(
                configuration: configuration, logger: .discarding, routeProviders: [],
                authenticator: RejectingAuthenticator())
            do throws(Application.StartError) {
                let unexpected = try await second.start()
                await unexpected.shutdown()
                Issue.record("a second server bound the same port")
            } catch {
                #expect(error.message.contains("cannot listen on 127.0.0.1:\(running.port)"))
                #expect(error.message.contains("in use"))
            }
        }
    }
}
