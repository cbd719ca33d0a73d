import CollabCore
import Storage
import Synchronization
import Testing

@testable import RESTGateway

@Suite struct ThreatModelRoutesTests {
    let alice = AuthenticatedUser.make("alice")
    let bob = AuthenticatedUser.make("bob")

    @Test func createReadListAndDelete() async throws {
        let (api, _) = APIHarness.make()
        let created = await api.call("POST", "/threat_models", as: alice, body: ["name": "Payments"])
        #expect(created.status == 201)
        let id = try #require(created.json["id"]?.stringValue)
        #expect(created.headers["Location"] == "/threat_models/\(id)")
        #expect(created.json["owner"] == "alice@test.tmi")
        #expect(created.json["threats"] == .array([]))
        #expect(created.json["created_at"]?.stringValue?.count == 24)

        #expect(await api.call("GET", "/threat_models/\(id)", as: alice).json["name"] == "Payments")
        #expect(await api.call("GET", "/threat_models/\(id)", as: bob).status == 403)
        #expect(await api.call("GET", "/threat_models/not-a-uuid", as: alice).status == 400)
        #expect(await api.call("GET", "/threat_models/\(UUIDText.random())", as: alice).status == 404)

        let list = await api.call("GET", "/threat_models", as: alice)
        #expect(list.json["data"]?.arrayValue?.count == 1)
        #expect(list.json["pagination"]?["total"] == 1)
        #expect(await api.call("GET", "/threat_models", as: bob).json["data"] == .array([]))

        #expect(await api.call("DELETE", "/threat_models/\(id)", as: bob).status == 403)
        #expect(await api.call("DELETE", "/threat_models/\(id)", as: alice).status == 204)
        #expect(await api.call("GET", "/threat_models/\(id)", as: alice).status == 404)
    }

    @Test func readOnlyFieldsOnCreateAreRefused() async {
        let (api, _) = APIHarness.make()
        for field in ["id", "owner", "created_at", "threats"] {
            let r = await api.call(
                "POST", "/threat_models", as: alice, body: ["name": "x", .init(stringLiteral: field): "y"])
            #expect(r.status == 400, "field \(field)")
            #expect(r.json["details"]?["context"]?["field"] == .string("/\(field)"))
        }
    }

    @Test func writerMayEditButNotChangeAuthorization() async throws {
        let (api, _) = APIHarness.make()
        let auth: JSONValue = [["subject": "bob@test.tmi", "role": "writer"]]
        let created = await api.call(
            "POST", "/threat_models", as: alice, body: ["name": "M", "authorization": auth])
        let id = try #require(created.json["id"]?.stringValue)
        var body = try #require(created.json.objectValue)
        body["name"] = "Renamed"
        let put = await api.call("PUT", "/threat_models/\(id)", as: bob, body: .object(body))
        #expect(put.status == 200)
        #expect(put.json["name"] == "Renamed")
        body["authorization"] = [["subject": "bob@test.tmi", "role": "owner"]]
        #expect(await api.call("PUT", "/threat_models/\(id)", as: bob, body: .object(body)).status == 403)
        body["created_by"] = "mallory"
        #expect(await api.call("PUT", "/threat_models/\(id)", as: alice, body: .object(body)).status == 400)
    }

    @Test func ownershipTransferKeepsPreviousOwner() async throws {
        let (api, _) = APIHarness.make()
        let created = await api.call("POST", "/threat_models", as: alice, body: ["name": "M"])
        let id = try #require(created.json["id"]?.stringValue)
        var body = try #require(created.json.objectValue)
        body["owner"] = "bob@test.tmi"
        let put = await api.call("PUT", "/threat_models/\(id)", as: alice, body: .object(body))
        #expect(put.status == 200)
        #expect(put.json["owner"] == "bob@test.tmi")
        #expect(put.json["authorization"] == [["subject": "alice@test.tmi", "role": "owner"]])
        #expect(await api.call("DELETE", "/threat_models/\(id)", as: bob).status == 204)
    }

    @Test func duplicateSubjectsAreRefused() async {
        let (api, _) = APIHarness.make()
        let auth: JSONValue = [
            ["subject": "bob@test.tmi", "role": "writer"], ["subject": "bob@test.tmi", "role": "reader"],
        ]
        #expect(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M", "authorization": auth])
                .status == 400)
    }

    @Test func listFiltersSortsAndPages() async throws {
        var t = 1_750_000_000.0
        let clock = Clock(start: t)
        let store = ThreatModelStore()
        let api = APIHarness(ThreatModelAPI.providers(store: store, now: { clock.tick() }))
        for name in ["b-one", "a-two", "c-three"] {
            #expect(
                await api.call("POST", "/threat_models", as: alice, body: ["name": .string(name)]).status
                    == 201)
        }
        t += 0
        let byName = await api.call("GET", "/threat_models?sort=name:asc&limit=2", as: alice)
        #expect(byName.json["data"]?.arrayValue?.map { $0["name"] } == ["a-two", "b-one"])
        #expect(byName.json["pagination"]?["has_more"] == true)
        let newest = await api.call("GET", "/threat_models", as: alice)
        #expect(newest.json["data"]?.arrayValue?.first?["name"] == "c-three")
        #expect(
            await api.call("GET", "/threat_models?name=TWO", as: alice).json["data"]?.arrayValue?.count == 1)
        // The spec gives this list's `sort`, `limit` and `offset` no bounds and no 400: an unknown
        // sort keeps the default order, out-of-range paging is pulled into range.
        let bogus = await api.call("GET", "/threat_models?sort=bogus", as: alice)
        #expect(bogus.status == 200)
        #expect(bogus.json["data"]?.arrayValue?.first?["name"] == "c-three")
        #expect(
            await api.call("GET", "/threat_models?limit=0", as: alice).json["data"]?.arrayValue?.count == 1)
        #expect(
            await api.call("GET", "/threat_models?offset=-3", as: alice).json["data"]?.arrayValue?.count == 3)
        #expect(await api.call("GET", "/threat_models?limit=abc", as: alice).status == 400)
        #expect(await api.call("GET", "/threat_models?created_after=yesterday", as: alice).status == 400)
    }
}

/// A deterministic clock: each call advances one second.
final class Clock: Sendable {
    let value: Mutex<Double>
    init(start: Double) { value = Mutex(start) }
    func tick() -> Double {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
