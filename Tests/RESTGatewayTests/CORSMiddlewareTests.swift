import Synchronization
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct CORSMiddlewareTests {
    @Test func noOriginMeansNoCORSHeaders() async throws {
        let response = try await CORSMiddleware().handle(.make(), next: echoResponder)
        #expect(response.status == 200)
        #expect(!response.headers.contains("Access-Control-Allow-Origin"))
    }

    @Test func originIsEchoedAndLocationExposed() async throws {
        let context = RequestContext.make(headers: [("Origin", "https://app.example")])
        let response = try await CORSMiddleware().handle(context, next: echoResponder)
        #expect(response.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(response.headers["Vary"] == "Origin")
        let exposed = response.headers["Access-Control-Expose-Headers"] ?? ""
        #expect(exposed.contains("Location"))
        #expect(exposed.contains("X-Request-ID"))
    }

    @Test func preflightIsAnsweredWithoutCallingNext() async throws {
        let called = Atomic<Bool>(false)
        let context = RequestContext.make(
            "OPTIONS", "/threat_models",
            headers: [
                ("Origin", "http://localhost:4200"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization,content-type"),
            ])
        let response = try await CORSMiddleware().handle(context) { _ in
            called.store(true, ordering: .relaxed)
            return .empty(status: 418)
        }
        #expect(called.load(ordering: .relaxed) == false)
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(response.headers["Access-Control-Allow-Origin"] == "http://localhost:4200")
        let methods = response.headers["Access-Control-Allow-Methods"] ?? ""
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] { #expect(methods.contains(method)) }
        let allowed = response.headers["Access-Control-Allow-Headers"] ?? ""
        #expect(allowed.contains("Authorization"))
        #expect(allowed.contains("Content-Type"))
    }

    @Test func plainOptionsIsNotAPreflight() async throws {
        let context = RequestContext.make("OPTIONS", "/x", headers: [("Origin", "http://a")])
        let response = try await CORSMiddleware().handle(context) { _ in .empty(status: 404) }
        #expect(response.status == 404)
        #expect(response.headers["Access-Control-Allow-Origin"] == "http://a")
    }

    @Test func originOutsideTheAllowListGetsNoGrant() async throws {
        let cors = CORSMiddleware(allowedOrigins: ["https://good.example"])
        let bad = try await cors.handle(
            .make(headers: [("Origin", "https://evil.example")]), next: echoResponder)
        #expect(!bad.headers.contains("Access-Control-Allow-Origin"))
        let good = try await cors.handle(
            .make(headers: [("Origin", "https://good.example")]), next: echoResponder)
        #expect(good.headers["Access-Control-Allow-Origin"] == "https://good.example")
    }
}
