import CollabCore
import Identity
import Testing
import WireProtocol

@testable import RESTGateway

/// How the identity routes' failures reach the client: an identity refusal as itself, a shared
/// identity store that cannot be reached as a 503 to retry, any other failure as a 500.
@Suite struct IdentityErrorMappingTests {
    func respond(throwing error: any Error) async throws -> HTTPResponse {
        let route = Route("POST", "/oauth2/refresh", access: .open) { _ in throw error }
        let logger = Logger(sink: CapturingLogSink())
        let gateway = try Gateway(
            routes: [route.mappingIdentityErrors()], authenticator: StubAuthenticator(),
            middleware: [ErrorMiddleware(logger: logger)])
        return await gateway.respond(to: .make("POST", "/oauth2/refresh"))
    }

    @Test(arguments: [
        PostgresError.connectionFailed("127.0.0.1:1: Connection refused"), .connectionClosed, .timedOut,
        .poolTimeout, .unavailable("down"), .closed,
    ])
    func anUnreachableIdentityStoreIsA503(_ error: PostgresError) async throws {
        let response = try await respond(throwing: error)
        #expect(response.status == 503)
        #expect(response.json?["error"] == "temporarily_unavailable")
        #expect(response.headers["Retry-After"] == "1")
    }

    @Test func aRefusedStatementStaysAServerFault() async throws {
        #expect(try await respond(throwing: PostgresError.invalidQuery("bad")).status == 500)
    }

    @Test func anIdentityRefusalKeepsItsStatusAndCode() async throws {
        let response = try await respond(throwing: IdentityError.badRequest("no", code: "invalid_grant"))
        #expect(response.status == 400)
        #expect(response.json?["error"] == "invalid_grant")
    }
}
