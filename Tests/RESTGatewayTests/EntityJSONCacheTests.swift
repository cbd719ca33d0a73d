import CollabCore
import Storage
import Testing

@testable import RESTGateway

/// `GET /threat_models/{id}` answers from bytes cached per store revision: every change to the
/// model or anything inside it must show in the very next read (never stale bytes), and a read
/// with no change in between returns the same bytes.
@Suite struct EntityJSONCacheTests {
    let alice = AuthenticatedUser.make("alice")

    /// The model as a fresh rendering of the store's current state would give it.
    func fresh(_ store: ThreatModelStore, _ id: String) -> JSONValue? {
        store.read { s in s.models[id].map(Rendering.model) }
    }

    @Test func everyChangeOfTheModelOrAChildShowsInTheNextRead() async throws {
        let (api, store) = APIHarness.make()
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let path = "/threat_models/\(tm)"
        var previous = await api.call("GET", path, as: alice).json
        #expect(previous["name"] == "M")
        // Two reads with nothing in between: same answer, from the cache.
        #expect(await api.call("GET", path, as: alice).json == previous)

        /// After each change, the read must equal a fresh rendering and differ from the last one.
        func expectFresh(_ what: String) async {
            let read = await api.call("GET", path, as: alice)
            #expect(read.status == 200, "\(what)")
            #expect(read.json == fresh(store, tm), "\(what): the read is stale")
            #expect(read.json != previous, "\(what): nothing changed")
            previous = read.json
        }

        var body = try #require(previous.objectValue)
        body["name"] = "Renamed"
        for key in ["threats", "documents", "sourceCode", "diagrams", "metadata"] { body[key] = nil }
        #expect(await api.call("PUT", path, as: alice, body: .object(body)).status == 200)
        await expectFresh("PUT of the model")

        let patch: JSONValue = [["op": "add", "path": "/description", "value": "patched"]]
        let patched = await api.call(
            "PATCH", path, as: alice, body: patch, contentType: "application/json-patch+json")
        #expect(patched.status == 200)
        await expectFresh("PATCH of the model")

        let threat = await api.call("POST", "\(path)/threats", as: alice, body: ChildRoutesTests.threat)
        let th = try #require(threat.json["id"]?.stringValue)
        await expectFresh("POST of a threat")

        var threatBody = try #require(threat.json.objectValue)
        threatBody["severity"] = "Low"
        threatBody["threat_model_id"] = nil
        threatBody["metadata"] = nil
        let put = await api.call("PUT", "\(path)/threats/\(th)", as: alice, body: .object(threatBody))
        #expect(put.status == 200)
        await expectFresh("PUT of a threat")

        let threatPatch: JSONValue = [["op": "replace", "path": "/severity", "value": "Critical"]]
        let patchedThreat = await api.call(
            "PATCH", "\(path)/threats/\(th)", as: alice, body: threatPatch,
            contentType: "application/json-patch+json")
        #expect(patchedThreat.status == 200)
        await expectFresh("PATCH of a threat")

        let meta = await api.call(
            "POST", "\(path)/threats/\(th)/metadata", as: alice, body: ["key": "k", "value": "v"])
        #expect(meta.status == 201)
        await expectFresh("metadata of a threat")

        #expect(await api.call("DELETE", "\(path)/threats/\(th)", as: alice).status == 204)
        await expectFresh("DELETE of a threat")

        #expect(await api.call("DELETE", path, as: alice).status == 204)
        #expect(await api.call("GET", path, as: alice).status == 404)
    }

    /// A change the store commits without going through the REST routes (a live collaboration
    /// session persisting cells, say) moves the revision too.
    @Test func aCommitOutsideTheRoutesAlsoInvalidates() async throws {
        let (api, store) = APIHarness.make()
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let path = "/threat_models/\(tm)"
        #expect(await api.call("GET", path, as: alice).json["description"] == nil)
        _ = try store.commit(
            { s throws(APIError) in
                var fields = s.models[tm]?.fields ?? [:]
                fields["description"] = "set elsewhere"
                return (
                    (), [.putMetadata(.model(tm), key: "src", value: "x"), .putModel(id: tm, fields: fields)]
                )
            }, unavailable: APIError.storeUnavailable)
        let read = await api.call("GET", path, as: alice).json
        #expect(read["description"] == "set elsewhere")
        #expect(read == fresh(store, tm))
    }

    @Test func theCacheIsBoundedAndNeverServesAnOlderRevision() {
        let cache = EntityJSONCache(maximumEntries: 2, maximumBytes: 1 << 20)
        var renders = 0
        func get(_ id: String, _ revision: UInt64, _ text: String) -> String {
            String(
                decoding: cache.bytes(of: id, revision: revision) {
                    renders += 1
                    return .string(text)
                }, as: UTF8.self)
        }
        #expect(get("a", 1, "a1") == "\"a1\"")
        #expect(get("a", 1, "ignored") == "\"a1\"")
        #expect(renders == 1)
        #expect(get("a", 2, "a2") == "\"a2\"")
        // A late reader of revision 1 gets its own rendering but does not replace revision 2.
        #expect(get("a", 1, "a1-late") == "\"a1-late\"")
        #expect(get("a", 2, "ignored") == "\"a2\"")
        _ = get("b", 1, "b")
        _ = get("c", 1, "c")
        #expect(cache.count <= 2)
    }
}
