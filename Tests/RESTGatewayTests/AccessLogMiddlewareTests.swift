import CollabCore
import Synchronization
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct AccessLogMiddlewareTests {
    /// A clock that advances 1.5 ms at each reading.
    static func steppingClock() -> @Sendable () -> UInt64 {
        let now = Atomic<UInt64>(0)
        return { now.add(1_500_000, ordering: .relaxed).newValue }
    }

    func gateway(_ sink: CapturingLogSink) throws -> Gateway {
        let logger = Logger(sink: sink)
        let routes = [
            Route("GET", "/open", access: .open) { _ in .json(.object(["ok": true])) },
            Route("GET", "/mine", access: .authenticated) { _ in .json(.object(["ok": true])) },
        ]
        let middleware: [any Middleware] = [
            RequestIDMiddleware(), AccessLogMiddleware(logger: logger, nanoseconds: Self.steppingClock()),
            ErrorMiddleware(logger: logger),
        ]
        return try Gateway(routes: routes, authenticator: StubAuthenticator(), middleware: middleware)
    }

    @Test func oneLinePerRequestWithTheFields() async throws {
        let sink = CapturingLogSink()
        let response = try await gateway(sink).respond(
            to: .make("GET", "/open?secret=1", headers: [("X-Request-ID", "r-1")]), peer: "127.0.0.1:5000")
        #expect(sink.captured.count == 1)
        let line = try JSONValue.parse(sink.captured[0])
        #expect(line["msg"] == "request")
        #expect(line["method"] == "GET")
        #expect(line["path"] == "/open")  // no query: it may carry tokens
        #expect(line["status"] == 200)
        #expect(line["duration_ms"] == 1.5)
        #expect(line["bytes"] == .number(Double(response.body.count)))
        #expect(line["request_id"] == "r-1")
        #expect(line["peer"] == "127.0.0.1:5000")
        #expect(line["user_id"] == nil)
    }

    @Test func userIDIsLoggedOnceAuthenticated() async throws {
        let sink = CapturingLogSink()
        _ = try await gateway(sink).respond(
            to: .make("GET", "/mine", headers: [("Authorization", "Bearer good-token")]))
        let line = try JSONValue.parse(sink.captured[0])
        #expect(line["status"] == 200)
        #expect(line["user_id"] == "u-alice")
    }

    @Test func failuresAreLoggedWithTheirStatus() async throws {
        let sink = CapturingLogSink()
        let g = try gateway(sink)
        _ = await g.respond(to: .make("GET", "/mine"))
        _ = await g.respond(to: .make("GET", "/missing"))
        _ = await g.respond(to: .make("DELETE", "/open"))
        let statuses = try sink.captured.map { try JSONValue.parse($0)["status"] }
        #expect(statuses == [401, 404, 405])
    }

    @Test func silencedBelowInfo() async throws {
        let sink = CapturingLogSink()
        let logger = Logger(sink: sink, minimumLevel: .warning)
        let response = try await AccessLogMiddleware(logger: logger).handle(.make(), next: echoResponder)
        #expect(response.status == 200)
        #expect(sink.captured.isEmpty)
    }
}
