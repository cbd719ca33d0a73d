import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct RequestIDMiddlewareTests {
    func run(_ headers: [(String, String)]) async throws -> (seen: String, header: String?) {
        let response = try await RequestIDMiddleware().handle(.make(headers: headers), next: echoResponder)
        return (response.json?["request_id"]?.stringValue ?? "", response.headers["X-Request-ID"])
    }

    @Test(arguments: ["abc-123", "0f8e.trace:7_x", String(repeating: "a", count: 128)])
    func saneClientIDIsKept(_ id: String) async throws {
        let (seen, header) = try await run([("x-request-id", id)])
        #expect(seen == id)
        #expect(header == id)
    }

    @Test(arguments: ["", "has space", "new\nline", "quote\"", String(repeating: "a", count: 129), "é"])
    func insaneClientIDIsReplaced(_ id: String) async throws {
        let (seen, header) = try await run([("X-Request-ID", id)])
        #expect(seen != id)
        #expect(seen.count == 32)
        #expect(header == seen)
    }

    @Test func generatedIDsAreHexAndDistinct() async throws {
        var ids = Set<String>()
        for _ in 0..<50 {
            let (seen, _) = try await run([])
            #expect(seen.utf8.count == 32)
            #expect(seen.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            ids.insert(seen)
        }
        #expect(ids.count == 50)
    }
}
