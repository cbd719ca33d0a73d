import CollabCore
import Glibc
import Synchronization
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct ApplicationTests {
    struct Feature: RouteProvider {
        var routes: [Route] {
            [Route("GET", "/mine", access: .authenticated) { ctx in .json(.string(ctx.user?.email ?? "")) }]
        }
    }

    @Test func gatewayServesPublicEndpointsAndFeaturesWithTheBoundBaseURL() async throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        let seen = Mutex<String?>(nil)
        let application = Application(configuration: configuration, logger: .discarding) { environment in
            seen.withLock { $0 = environment.baseURL }
            return ServerComponents(routeProviders: [Feature()], authenticator: StubAuthenticator())
        }
        let environment = application.environment(boundPort: 45_001)
        let gateway = try await application.makeGateway(environment: environment)
        #expect(seen.withLock { $0 } == "http://127.0.0.1:45001")

        let discovery = await gateway.respond(to: .make("GET", "/.well-known/oauth-authorization-server"))
        #expect(discovery.json?["issuer"] == "http://127.0.0.1:45001")
        let mine = await gateway.respond(
            to: .make("GET", "/mine", headers: [("Authorization", "Bearer good-token")]))
        #expect(mine.json == "alice@test.tmi")
        #expect(await gateway.respond(to: .make("GET", "/mine")).status == 401)
    }

    @Test func maxBodySizeReachesTheGateway() async throws {
        var configuration = ServerConfiguration()
        configuration.maxBodySize = 1234
        let application = Application(
            configuration: configuration, logger: .discarding, routeProviders: [],
            authenticator: RejectingAuthenticator())
        let gateway = try await application.makeGateway(environment: application.environment(boundPort: 1))
        #expect(gateway.bodyLimit(method: "POST", target: "/anything") == 1234)
    }

    @Test func routeConflictWithPublicEndpointsFailsAtStartUp() async {
        struct Clash: RouteProvider {
            var routes: [Route] { [Route("GET", "/", access: .open) { _ in .empty() }] }
        }
        let application = Application(
            configuration: ServerConfiguration(), logger: .discarding, routeProviders: [Clash()],
            authenticator: RejectingAuthenticator())
        await #expect(throws: Router.CompileError.duplicate(method: "GET", pattern: "/")) {
            _ = try await application.makeGateway(environment: application.environment(boundPort: 1))
        }
    }

    @Test func rejectingAuthenticatorRejects() {
        #expect(throws: APIError.self) {
            _ = try RejectingAuthenticator().authenticate(bearer: "x")
        }
    }
}

@Suite struct GatewaySlotTests {
    @Test func answers503UntilTheGatewayIsInstalled() async throws {
        let slot = GatewaySlot()
        let early = await slot.respond(to: .make("GET", "/"), connection: HTTPConnectionInfo())
        #expect(early.status == 503)
        #expect(early.headers["Retry-After"] == "1")
        #expect(slot.bodyLimit(for: .make("POST", "/")) == nil)

        let routes = [Route("POST", "/", access: .open, bodyLimit: 7) { _ in .empty(status: 202) }]
        slot.install(try Gateway(routes: routes, authenticator: StubAuthenticator(), middleware: []))
        let later = await slot.respond(to: .make("POST", "/"), connection: HTTPConnectionInfo(peer: "p"))
        #expect(later.status == 202)
        #expect(slot.bodyLimit(for: .make("POST", "/", headers: [("Content-Length", "1")])) == 7)
    }
}
