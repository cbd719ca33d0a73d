import CollabCore
import Testing
import WireProtocol

@testable import RESTGateway

@Suite struct JSONBodyTests {
    func body(_ text: String, contentType: String?) -> Result<JSONValue, APIError> {
        let headers = contentType.map { [("Content-Type", $0)] } ?? []
        let context = RequestContext.make("POST", "/", headers: headers, body: text)
        do throws(APIError) {
            return .success(try context.jsonBody())
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: [
        "application/json", "application/json; charset=utf-8", "Application/JSON",
        "application/json-patch+json",
        "application/merge-patch+json",
    ])
    func acceptedContentTypes(_ type: String) throws {
        #expect(try body(#"{"a":[1,"x"]}"#, contentType: type).get() == .object(["a": [1, "x"]]))
    }

    @Test func missingContentTypeIsTolerated() throws {
        #expect(try body("[true]", contentType: nil).get() == [true])
    }

    @Test(arguments: [
        (#"{"a":1}"#, "text/plain", "Content-Type"),
        (#"{"a":1}"#, "application/x-www-form-urlencoded", "Content-Type"),
        ("", "application/json", "empty"),
        ("{", "application/json", "not valid JSON"),
        ("{'a':1}", "application/json", "not valid JSON"),
    ])
    func rejectedBodiesAre400InvalidInput(_ text: String, _ type: String, _ mention: String) {
        guard case .failure(let error) = body(text, contentType: type) else {
            Issue.record("expected failure")
            return
        }
        #expect(error.status == 400)
        #expect(error.code == "invalid_input")
        #expect(error.description.contains(mention))
    }

    @Test func objectBodyRejectsArrays() {
        let context = RequestContext.make("POST", "/", body: "[1]")
        #expect(throws: APIError.self) { try context.jsonObjectBody() }
    }
}
