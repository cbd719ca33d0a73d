import CollabCore
import Testing

@testable import RESTGateway

/// Server bugs found by `conformance/schemathesis.sh`, one test each, so they stay fixed.
@Suite struct ConformanceRegressionTests {
    let alice = AuthenticatedUser.make("alice")

    /// ThreatModelInput allows `description: null` and `issue_url: null`, but ThreatModelBase (the
    /// response) declares both as plain strings: the null was stored and echoed, rendering an
    /// invalid ThreatModel. A null now means "no value" on create, replace and patch.
    @Test func anAcceptedNullIsStoredAsAbsent() async throws {
        let (api, _) = APIHarness.make()
        let created = await api.call(
            "POST", "/threat_models", as: alice,
            body: ["name": "M", "description": nil, "issue_url": nil])
        #expect(created.status == 201)
        let id = try #require(created.json["id"]?.stringValue)
        #expect(created.json.objectValue?.keys.contains("description") == false)
        #expect(created.json.objectValue?.keys.contains("issue_url") == false)

        let put = await api.call(
            "PUT", "/threat_models/\(id)", as: alice,
            body: ["name": "M", "description": "kept", "issue_url": nil])
        #expect(put.status == 200)
        #expect(put.json["description"] == "kept")
        #expect(put.json.objectValue?.keys.contains("issue_url") == false)

        let patched = await api.call(
            "PATCH", "/threat_models/\(id)", as: alice,
            body: [["op": "replace", "path": "/description", "value": nil]])
        #expect(patched.status == 200)
        #expect(patched.json.objectValue?.keys.contains("description") == false)
        #expect(
            await api.call("GET", "/threat_models/\(id)", as: alice).json.objectValue?.keys.contains(
                "description") == false)
    }
}
