import CollabCore
import Testing

@testable import RESTGateway

/// Group authorization through the REST API (issue 12): the principal form is stored and echoed
/// as given, a group grants its members, `everyone` grants all, and the list cap is 10,000.
@Suite struct GroupAuthorizationTests {
    let alice = AuthenticatedUser.make("alice")

    static func member(_ name: String, of groups: [String], idp: String = "test") -> AuthenticatedUser {
        var u = AuthenticatedUser.make(name)
        u.idp = idp
        u.groups = groups
        return u
    }

    @Test func principalEntriesAreEchoedAndGrantTheirGroup() async throws {
        let (api, _) = APIHarness.make()
        let auth: JSONValue = [
            ["principal_type": "group", "provider": "test", "provider_id": "red", "role": "writer"],
            ["subject": "carol@test.tmi", "role": "reader"],
            [
                "principal_type": "user", "provider": "test", "provider_id": "dave@test.tmi",
                "role": "reader",
                "display_name": "Dave",
            ],
        ]
        let created = await api.call(
            "POST", "/threat_models", as: alice, body: ["name": "M", "authorization": auth])
        #expect(created.status == 201)
        let id = try #require(created.json["id"]?.stringValue)
        let echoed = try #require(created.json["authorization"]?.arrayValue)
        for entry in auth.arrayValue ?? [] { #expect(echoed.contains(entry), "\(entry)") }
        #expect(
            await api.call("GET", "/threat_models/\(id)", as: alice).json["authorization"]
                == created.json["authorization"])

        let red = Self.member("bob", of: ["red"])
        #expect(await api.call("GET", "/threat_models/\(id)", as: red).status == 200)
        #expect(
            await api.call("POST", "/threat_models/\(id)/threats", as: red, body: ChildRoutesTests.threat)
                .status == 201)
        #expect(await api.call("DELETE", "/threat_models/\(id)", as: red).status == 403)
        #expect(
            await api.call("GET", "/threat_models/\(id)", as: Self.member("bob", of: ["blue"])).status == 403)
        #expect(
            await api.call("GET", "/threat_models/\(id)", as: Self.member("bob", of: ["red"], idp: "google"))
                .status == 403)
        #expect(await api.call("GET", "/threat_models/\(id)", as: .make("dave")).status == 403)
        #expect(await api.call("GET", "/threat_models/\(id)", as: Self.member("dave", of: [])).status == 200)
        // The list shows the model to group members and hides it from others.
        let listed = await api.call("GET", "/threat_models", as: red)
        #expect(listed.json["data"]?.arrayValue?.contains { $0["id"] == .string(id) } == true)
        #expect(
            await api.call("GET", "/threat_models", as: .make("eve")).json["data"]?.arrayValue?.isEmpty
                == true)
    }

    @Test func everyoneGrantsEveryAuthenticatedUser() async throws {
        let (api, _) = APIHarness.make()
        let auth: JSONValue = [
            ["principal_type": "group", "provider": "*", "provider_id": "everyone", "role": "reader"]
        ]
        let id = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M", "authorization": auth])
                .json["id"]?
                .stringValue)
        #expect(await api.call("GET", "/threat_models/\(id)", as: .make("zed")).status == 200)
        #expect(
            await api.call(
                "POST", "/threat_models/\(id)/threats", as: .make("zed"), body: ChildRoutesTests.threat
            ).status == 403)
        #expect(await api.call("GET", "/threat_models/\(id)", as: nil).status == 401)
    }

    @Test func tenThousandEntriesFitAndOneMoreIsA400() async throws {
        let (api, _) = APIHarness.make()
        let entries = (0..<10_001).map {
            JSONValue.object(["subject": .string("u\($0)@test.tmi"), "role": "reader"])
        }
        let tooMany = await api.call(
            "POST", "/threat_models", as: alice, body: ["name": "M", "authorization": .array(entries)])
        #expect(tooMany.status == 400)
        #expect(tooMany.json["error_description"]?.stringValue?.contains("10000") == true)
        let ok = await api.call(
            "POST", "/threat_models", as: alice,
            body: ["name": "M", "authorization": .array(Array(entries.dropLast()))])
        #expect(ok.status == 201)
        let id = try #require(ok.json["id"]?.stringValue)
        #expect(await api.call("GET", "/threat_models/\(id)", as: .make("u9999")).status == 200)
        #expect(await api.call("GET", "/threat_models/\(id)", as: .make("u10000")).status == 403)
    }

    /// PUT and PATCH keep the principal form too, and only the owner may change the list.
    @Test func replaceAndPatchKeepTheFormGiven() async throws {
        let (api, _) = APIHarness.make()
        let id = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let red: JSONValue = [
            "principal_type": "group", "provider": "test", "provider_id": "red", "role": "writer",
        ]
        var body = try #require(await api.call("GET", "/threat_models/\(id)", as: alice).json.objectValue)
        body["authorization"] = .array((body["authorization"]?.arrayValue ?? []) + [red])
        let put = await api.call("PUT", "/threat_models/\(id)", as: alice, body: .object(body))
        #expect(put.status == 200)
        #expect(put.json["authorization"]?.arrayValue?.contains(red) == true)

        let member = Self.member("bob", of: ["red"])
        let everyone: JSONValue = [
            "principal_type": "group", "provider": "*", "provider_id": "everyone", "role": "reader",
        ]
        let byWriter = await api.call(
            "PATCH", "/threat_models/\(id)", as: member,
            body: [["op": "add", "path": "/authorization/-", "value": everyone]])
        #expect(byWriter.status == 403)
        let byOwner = await api.call(
            "PATCH", "/threat_models/\(id)", as: alice,
            body: [["op": "add", "path": "/authorization/-", "value": everyone]])
        #expect(byOwner.status == 200)
        #expect(byOwner.json["authorization"]?.arrayValue?.last == everyone)
        #expect(await api.call("GET", "/threat_models/\(id)", as: .make("zed")).status == 200)
        // The group member writes; the writer may still PUT the model with the list unchanged.
        var again = try #require(await api.call("GET", "/threat_models/\(id)", as: member).json.objectValue)
        again["name"] = "Renamed"
        #expect(await api.call("PUT", "/threat_models/\(id)", as: member, body: .object(again)).status == 200)
    }
}
