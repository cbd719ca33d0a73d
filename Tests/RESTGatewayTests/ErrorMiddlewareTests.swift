import CollabCore
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct ErrorMiddlewareTests {
    @Test func apiErrorIsRenderedWithItsBodyAndHeaders() async throws {
        let sink = CapturingLogSink()
        var headers = HTTPHeaders()
        headers.set("Retry-After", "3")
        let error = APIError(
            status: 409, code: "conflict", description: "session exists", headers: headers,
            extra: ["join_url": .string("http://x/ws")])
        let response = try await ErrorMiddleware(logger: Logger(sink: sink)).handle(.make()) { _ in
            throw error
        }
        #expect(response.status == 409)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["Retry-After"] == "3")
        #expect(
            response.json
                == .object([
                    "error": "conflict", "error_description": "session exists", "join_url": "http://x/ws",
                ]))
        #expect(sink.captured.isEmpty)
    }

    @Test func otherErrorsAre500WithoutInternals() async throws {
        let sink = CapturingLogSink()
        let middleware = ErrorMiddleware(logger: Logger(sink: sink))
        let response = try await middleware.handle(.make(requestID: "rid-9")) { _ in throw Boom() }
        #expect(response.status == 500)
        #expect(response.json?["error"] == "internal_error")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(!text.contains("secret"))
        #expect(text.contains("rid-9"))
        // The detail goes to the log instead, tied to the request id.
        #expect(sink.captured.count == 1)
        let line = try JSONValue.parse(sink.captured[0])
        #expect(line["level"] == "error")
        #expect(line["request_id"] == "rid-9")
        #expect(line["error"]?.stringValue?.contains("secret internal detail") == true)
    }
}
