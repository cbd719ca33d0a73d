import CollabCore
import Testing

@testable import RESTGateway

@Suite struct ChildRoutesTests {
    let alice = AuthenticatedUser.make("alice")
    let bob = AuthenticatedUser.make("bob")
    let carol = AuthenticatedUser.make("carol")

    static let threat: JSONValue = [
        "name": "SQL injection", "severity": "High", "priority": "P1", "mitigated": false, "status": "open",
        "threat_type": "Tampering", "score": 7.5,
    ]

    /// A model owned by alice where bob writes and carol reads.
    func model(_ api: APIHarness) async throws -> String {
        let auth: JSONValue = [
            ["subject": "bob@test.tmi", "role": "writer"], ["subject": "carol@test.tmi", "role": "reader"],
        ]
        let r = await api.call(
            "POST", "/threat_models", as: alice, body: ["name": "M", "authorization": auth])
        return try #require(r.json["id"]?.stringValue)
    }

    @Test func threatLifecycle() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        let created = await api.call("POST", "/threat_models/\(tm)/threats", as: bob, body: Self.threat)
        #expect(created.status == 201)
        let id = try #require(created.json["id"]?.stringValue)
        #expect(created.json["threat_model_id"] == .string(tm))
        #expect(
            await api.call("POST", "/threat_models/\(tm)/threats", as: carol, body: Self.threat).status == 403
        )
        #expect(
            await api.call("GET", "/threat_models/\(tm)/threats/\(id)", as: carol).json["name"]
                == "SQL injection")

        var changed = try #require(created.json.objectValue)
        changed["severity"] = "Low"
        let put = await api.call("PUT", "/threat_models/\(tm)/threats/\(id)", as: bob, body: .object(changed))
        #expect(put.status == 200)
        #expect(put.json["severity"] == "Low")
        changed["severity"] = "Catastrophic"
        #expect(
            await api.call("PUT", "/threat_models/\(tm)/threats/\(id)", as: bob, body: .object(changed))
                .status == 400)

        let list = await api.call("GET", "/threat_models/\(tm)/threats", as: carol)
        #expect(list.json["total_count"] == 1)
        #expect(
            await api.call("GET", "/threat_models/\(tm)", as: carol).json["threats"]?.arrayValue?.count == 1)
        #expect(await api.call("DELETE", "/threat_models/\(tm)/threats/\(id)", as: carol).status == 403)
        #expect(await api.call("DELETE", "/threat_models/\(tm)/threats/\(id)", as: bob).status == 204)
        #expect(await api.call("DELETE", "/threat_models/\(tm)/threats/\(id)", as: bob).status == 404)
    }

    @Test func threatValidationPointsAtTheField() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        var body = try #require(Self.threat.objectValue)
        body["score"] = 11
        let r = await api.call("POST", "/threat_models/\(tm)/threats", as: alice, body: .object(body))
        #expect(r.status == 400)
        #expect(r.json["details"]?["context"]?["field"] == "/score")
        body["score"] = nil
        body["mitigated"] = nil
        #expect(
            await api.call("POST", "/threat_models/\(tm)/threats", as: alice, body: .object(body)).json[
                "details"]?["context"]?["field"] == "/mitigated")
    }

    @Test func bulkCreateIsAllOrNothing() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        var bad = try #require(Self.threat.objectValue)
        bad["severity"] = "nope"
        let refused = await api.call(
            "POST", "/threat_models/\(tm)/threats/bulk", as: alice, body: [Self.threat, .object(bad)])
        #expect(refused.status == 400)
        #expect(await api.call("GET", "/threat_models/\(tm)/threats", as: alice).json["total_count"] == 0)
        let ok = await api.call(
            "POST", "/threat_models/\(tm)/threats/bulk", as: alice, body: [Self.threat, Self.threat])
        #expect(ok.status == 201)
        #expect(ok.json.arrayValue?.count == 2)
        let tooMany = JSONValue.array(Array(repeating: Self.threat, count: 21))
        #expect(
            await api.call("POST", "/threat_models/\(tm)/threats/bulk", as: alice, body: tooMany).status
                == 400)
    }

    @Test func bulkUpdateAndBatchDelete() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        let made = await api.call(
            "POST", "/threat_models/\(tm)/threats/bulk", as: alice, body: [Self.threat, Self.threat])
        var items = try #require(made.json.arrayValue)
        items[0]["name"] = "first"
        items[1]["name"] = "second"
        let updated = await api.call(
            "PUT", "/threat_models/\(tm)/threats/bulk", as: alice, body: .array(items))
        #expect(updated.status == 200)
        #expect(updated.json.arrayValue?.map { $0["name"] } == ["first", "second"])
        let ids = items.compactMap { $0["id"]?.stringValue }
        let missing = UUIDText.random()
        #expect(
            await api.call(
                "DELETE", "/threat_models/\(tm)/threats/batch?threat_ids=\(ids[0]),\(missing)", as: alice
            ).status == 404)
        let del = await api.call(
            "DELETE", "/threat_models/\(tm)/threats/batch?threat_ids=\(ids.joined(separator: ","))", as: alice
        )
        #expect(del.json["deleted_count"] == 2)
        #expect(
            await api.call("DELETE", "/threat_models/\(tm)/threats/batch?threat_ids=zzz", as: alice).status
                == 400)
    }

    @Test func documentsAndSources() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        let doc = await api.call(
            "POST", "/threat_models/\(tm)/documents", as: bob,
            body: ["name": "Spec", "url": "https://example.com/spec"])
        #expect(doc.status == 201)
        #expect(
            await api.call(
                "POST", "/threat_models/\(tm)/documents", as: bob, body: ["name": "Spec", "url": "not a url"]
            ).status == 400)
        let src = await api.call(
            "POST", "/threat_models/\(tm)/sources", as: bob,
            body: [
                "url": "https://git.example.com/repo.git", "type": "git",
                "parameters": ["refType": "branch", "refValue": "main"],
            ])
        #expect(src.status == 201)
        let model = await api.call("GET", "/threat_models/\(tm)", as: carol)
        #expect(model.json["documents"]?.arrayValue?.count == 1)
        #expect(model.json["sourceCode"]?.arrayValue?.count == 1)
        #expect(await api.call("GET", "/threat_models/\(tm)/sources", as: carol).json["total_count"] == 1)
    }

    @Test func diagramsKeepCellsAndCheckEdges() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        let d = await api.call(
            "POST", "/threat_models/\(tm)/diagrams", as: bob, body: ["name": "DFD", "type": "DFD-1.0.0"])
        #expect(d.status == 201)
        let id = try #require(d.json["id"]?.stringValue)
        #expect(d.json["cells"] == .array([]))
        let node = UUIDText.random()
        var body = try #require(d.json.objectValue)
        body["cells"] = [
            [
                "id": .string(node), "shape": "process", "x": 10, "y": 20, "width": 80, "height": 40,
                "customX6": ["keep": true],
            ]
        ]
        let put = await api.call("PUT", "/threat_models/\(tm)/diagrams/\(id)", as: bob, body: .object(body))
        #expect(put.status == 200)
        #expect(put.json["cells"]?.arrayValue?.first?["customX6"] == ["keep": true])
        body["cells"] = [
            [
                "id": .string(UUIDText.random()), "shape": "edge", "source": ["cell": .string(node)],
                "target": ["cell": .string(UUIDText.random())],
            ]
        ]
        #expect(
            await api.call("PUT", "/threat_models/\(tm)/diagrams/\(id)", as: bob, body: .object(body)).status
                == 400)
        let items = await api.call("GET", "/threat_models/\(tm)/diagrams", as: carol)
        #expect(items.json == [["id": .string(id), "name": "DFD", "type": "DFD-1.0.0"]])
        #expect(await api.call("DELETE", "/threat_models/\(tm)/diagrams/\(id)", as: bob).status == 403)
        #expect(await api.call("DELETE", "/threat_models/\(tm)/diagrams/\(id)", as: alice).status == 204)
    }

    @Test func metadataOnModelAndChildren() async throws {
        let (api, _) = APIHarness.make()
        let tm = try await model(api)
        let th = await api.call("POST", "/threat_models/\(tm)/threats", as: alice, body: Self.threat)
        let id = try #require(th.json["id"]?.stringValue)
        for base in ["/threat_models/\(tm)", "/threat_models/\(tm)/threats/\(id)"] {
            #expect(
                await api.call("POST", "\(base)/metadata", as: bob, body: ["key": "team", "value": "red"])
                    .status == 201)
            #expect(
                await api.call("POST", "\(base)/metadata", as: bob, body: ["key": "team", "value": "blue"])
                    .status == 201)
            #expect(
                await api.call("GET", "\(base)/metadata", as: carol).json == [
                    ["key": "team", "value": "blue"]
                ])
            #expect(
                await api.call("PUT", "\(base)/metadata/team", as: bob, body: ["value": "green"]).json[
                    "value"] == "green")
            #expect(
                await api.call("POST", "\(base)/metadata", as: carol, body: ["key": "x", "value": "y"]).status
                    == 403)
            #expect(
                await api.call("POST", "\(base)/metadata", as: bob, body: ["key": "bad key!", "value": "y"])
                    .status == 400)
            let bulk = await api.call(
                "POST", "\(base)/metadata/bulk", as: bob,
                body: [["key": "a", "value": "1"], ["key": "b", "value": "2"]])
            #expect(bulk.status == 201)
            #expect(await api.call("GET", "\(base)/metadata/a", as: carol).json["value"] == "1")
            #expect(await api.call("DELETE", "\(base)/metadata/a", as: bob).status == 204)
            #expect(await api.call("GET", "\(base)/metadata/a", as: carol).status == 404)
        }
        #expect(
            await api.call("GET", "/threat_models/\(tm)/threats/\(UUIDText.random())/metadata", as: alice)
                .status == 404)
    }
}

@Suite struct PatchRoutesTests {
    let alice = AuthenticatedUser.make("alice")

    @Test func patchThreatAndModel() async throws {
        let (api, _) = APIHarness.make()
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let th = try #require(
            await api.call("POST", "/threat_models/\(tm)/threats", as: alice, body: ChildRoutesTests.threat)
                .json["id"]?.stringValue)
        let ops: JSONValue = [
            ["op": "replace", "path": "/severity", "value": "Critical"],
            ["op": "add", "path": "/mitigation", "value": "WAF"],
        ]
        let r = await api.call(
            "PATCH", "/threat_models/\(tm)/threats/\(th)", as: alice, body: ops,
            contentType: "application/json-patch+json")
        #expect(r.status == 200)
        #expect(r.json["severity"] == "Critical")
        #expect(r.json["mitigation"] == "WAF")
        // Read-only path, failed test, malformed document: all 400 and nothing changes.
        for bad: JSONValue in [
            [["op": "replace", "path": "/id", "value": .string(UUIDText.random())]],
            [
                ["op": "test", "path": "/severity", "value": "Low"],
                ["op": "replace", "path": "/name", "value": "x"],
            ],
            [["op": "jump", "path": "/name"]],
            ["not": "an array"],
        ] {
            #expect(
                await api.call("PATCH", "/threat_models/\(tm)/threats/\(th)", as: alice, body: bad).status
                    == 400, "\(bad)")
        }
        #expect(
            await api.call("GET", "/threat_models/\(tm)/threats/\(th)", as: alice).json["name"]
                == "SQL injection")
        let model = await api.call(
            "PATCH", "/threat_models/\(tm)", as: alice,
            body: [["op": "replace", "path": "/name", "value": "Renamed"]])
        #expect(model.json["name"] == "Renamed")
        #expect(
            await api.call(
                "PATCH", "/threat_models/\(tm)", as: alice, body: [["op": "remove", "path": "/threats"]]
            ).status == 400)
    }

    @Test func batchPatchIsAllOrNothing() async throws {
        let (api, _) = APIHarness.make()
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let made = await api.call(
            "POST", "/threat_models/\(tm)/threats/bulk", as: alice,
            body: [ChildRoutesTests.threat, ChildRoutesTests.threat])
        let ids = try #require(made.json.arrayValue?.compactMap { $0["id"]?.stringValue })
        let good: JSONValue = [
            "patches": [
                [
                    "threat_id": .string(ids[0]),
                    "operations": [["op": "replace", "path": "/name", "value": "one"]],
                ],
                [
                    "threat_id": .string(ids[1]),
                    "operations": [["op": "replace", "path": "/severity", "value": "Low"]],
                ],
            ]
        ]
        let ok = await api.call("POST", "/threat_models/\(tm)/threats/batch/patch", as: alice, body: good)
        #expect(ok.status == 200)
        #expect(ok.json.arrayValue?.map { $0["name"] } == ["one", "SQL injection"])
        let bad: JSONValue = [
            "patches": [
                [
                    "threat_id": .string(ids[0]),
                    "operations": [["op": "replace", "path": "/name", "value": "two"]],
                ],
                [
                    "threat_id": .string(ids[1]),
                    "operations": [["op": "replace", "path": "/severity", "value": "Bogus"]],
                ],
            ]
        ]
        #expect(
            await api.call("POST", "/threat_models/\(tm)/threats/batch/patch", as: alice, body: bad).status
                == 400)
        #expect(
            await api.call("GET", "/threat_models/\(tm)/threats/\(ids[0])", as: alice).json["name"] == "one")
    }

    @Test func diagramPatchWithInvalidResultIs422() async throws {
        let (api, _) = APIHarness.make()
        let tm = try #require(
            await api.call("POST", "/threat_models", as: alice, body: ["name": "M"]).json["id"]?.stringValue)
        let d = try #require(
            await api.call(
                "POST", "/threat_models/\(tm)/diagrams", as: alice, body: ["name": "D", "type": "DFD-1.0.0"]
            ).json["id"]?.stringValue)
        let node = UUIDText.random()
        let add: JSONValue = [
            [
                "op": "add", "path": "/cells/-",
                "value": ["id": .string(node), "shape": "actor", "x": 1, "y": 2, "width": 50, "height": 40],
            ]
        ]
        let ok = await api.call("PATCH", "/threat_models/\(tm)/diagrams/\(d)", as: alice, body: add)
        #expect(ok.status == 200)
        #expect(ok.json["cells"]?.arrayValue?.count == 1)
        let noID: JSONValue = [["op": "add", "path": "/cells/-", "value": ["shape": "process"]]]
        #expect(
            await api.call("PATCH", "/threat_models/\(tm)/diagrams/\(d)", as: alice, body: noID).status == 422
        )
        let dangling: JSONValue = [
            [
                "op": "add", "path": "/cells/-",
                "value": [
                    "id": .string(UUIDText.random()), "shape": "edge", "source": ["cell": .string(node)],
                    "target": ["cell": .string(UUIDText.random())],
                ],
            ]
        ]
        #expect(
            await api.call("PATCH", "/threat_models/\(tm)/diagrams/\(d)", as: alice, body: dangling).status
                == 422)
        #expect(
            await api.call(
                "PATCH", "/threat_models/\(tm)/diagrams/\(d)", as: alice,
                body: [["op": "remove", "path": "/nope"]]
            ).status == 400)
    }
}
