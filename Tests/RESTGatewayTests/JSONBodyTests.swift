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

@Suite struct FormBodyTests {
    @Test func formFieldsAreDecoded() throws {
        let context = RequestContext.make(
            "POST", "/oauth2/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")],
            body: "grant_type=authorization_code&code=a%2Bb&redirect_uri=http%3A%2F%2Fx%2Fcb&state=s+1")
        #expect(
            try context.formBody() == [
                "grant_type": "authorization_code", "code": "a+b", "redirect_uri": "http://x/cb",
                "state": "s 1",
            ])
        #expect(try context.fieldsBody()["code"] == "a+b")
    }

    @Test func fieldsBodyAcceptsJSONObjects() throws {
        let context = RequestContext.make(
            "POST", "/oauth2/revoke", headers: [("Content-Type", "application/json")],
            body: #"{"token":"t","n":1}"#)
        #expect(try context.fieldsBody() == ["token": "t", "n": 1])
        #expect(throws: APIError.self) { try context.formBody() }
    }

    @Test func fieldsBodyRejectsOtherTypes() {
        let context = RequestContext.make(
            "POST", "/", headers: [("Content-Type", "text/plain")], body: "token=t")
        #expect(throws: APIError.self) { try context.fieldsBody() }
    }
}
