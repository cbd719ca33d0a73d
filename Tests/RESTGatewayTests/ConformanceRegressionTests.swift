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

extension ConformanceRegressionTests {
    /// `offset` has only `minimum: 0` and the spec's `integer` no format: an offset past the end
    /// (even past `Int64`) is an empty page, not a 400 (schemathesis positive mode sent 9999999999).
    @Test func aLargeOffsetIsAnEmptyPage() async throws {
        let (api, _) = APIHarness.make()
        let id = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        for offset in ["9999999999", "99999999999999999999999"] {
            let page = await api.call(
                "GET", "/threat_models/\(id)/threats?offset=\(offset)&limit=3", as: alice)
            #expect(page.status == 200, "offset \(offset)")
            #expect(page.json["threats"] == .array([]))
            #expect(await api.call("GET", "/threat_models?offset=\(offset)", as: alice).status == 200)
        }
        // Echoed back as a JSON integer (schemathesis: `"offset":1e+18` is not an integer).
        let echoed = await api.call("GET", "/threat_models?offset=1000000000000000001", as: alice)
        #expect(echoed.json["pagination"]?["offset"] == 9_007_199_254_740_991)
        #expect(await api.call("GET", "/threat_models/\(id)/threats?offset=-1", as: alice).status == 400)
        #expect(await api.call("GET", "/threat_models/\(id)/threats?offset=null", as: alice).status == 400)
    }

    /// GET and DELETE of a metadata key declare no 400 and the spec's `key` is any string: a key
    /// that breaks the key rules cannot exist, so it is 404 (after the access check), not 400.
    @Test func aKeyThatCannotExistIsNotFound() async throws {
        let (api, _) = APIHarness.make()
        let id = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        for key in ["V%F1%B6%B0%9A", "a%20b", "%3E"] {
            #expect(await api.call("GET", "/threat_models/\(id)/metadata/\(key)", as: alice).status == 404)
            #expect(await api.call("DELETE", "/threat_models/\(id)/metadata/\(key)", as: alice).status == 404)
            #expect(
                await api.call("GET", "/threat_models/\(id)/metadata/\(key)", as: .make("bob")).status == 403)
            // PUT creates the key, so its rules still apply there.
            #expect(
                await api.call("PUT", "/threat_models/\(id)/metadata/\(key)", as: alice, body: ["value": "v"])
                    .status == 400)
        }
    }
}
