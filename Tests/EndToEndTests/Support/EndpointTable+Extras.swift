import CollabCore
import RESTGateway

/// Rows for threat PATCH, bulk update and batches, diagram PATCH, and diagram collaboration.
extension EndpointTable {
    static var threatBatches: [EndpointScenario] {
        let item = tm + "/threats/{threat_id}"
        let bulk = tm + "/threats/bulk"
        let batchPatch = tm + "/threats/batch/patch"
        let batch = tm + "/threats/batch"
        let replaceAll: Body = { f in
            [EndpointBodies.threat.merging(["id": .string(f.ids["threat_id"] ?? "")])]
        }
        let patches: Body = { f in
            [
                "patches": [
                    ["threat_id": .string(f.ids["threat_id"] ?? ""), "operations": EndpointBodies.rename]
                ]
            ]
        }
        let ids = "?threat_ids={threat_id}"
        return [
            row("PATCH", item, 200, fresh: true, json: EndpointBodies.rename),
            row("PATCH", item, 400, json: EndpointBodies.readOnlyPatch),
            row("PUT", bulk, 200, fresh: true, body: replaceAll),
            row("PUT", bulk, 400, json: [EndpointBodies.threat]),
            row("POST", batchPatch, 200, fresh: true, body: patches),
            row("POST", batchPatch, 400, json: ["patches": []]),
            row("DELETE", batch, 200, fresh: true, query: ids),
            row("DELETE", batch, 400),
        ]
            + denials("PATCH", item, missing: "threat_id") { _ in EndpointBodies.rename }
            + denials("PUT", bulk, missing: "threat_model_id", body: replaceAll)
            + denials("POST", batchPatch, missing: "threat_model_id", body: patches)
            + denials("DELETE", batch, missing: "threat_model_id", query: ids)
    }

    static let diagram = tm + "/diagrams/{diagram_id}"

    static var diagramExtras: [EndpointScenario] {
        let collaborate = diagram + "/collaborate"
        // A cell id must be a UUID: the patched diagram is not a valid diagram (DESIGN §1).
        let badCells: JSONValue = [["op": "replace", "path": "/cells", "value": [["id": "x"]]]]
        return [
            row("PATCH", diagram, 200, fresh: true, json: EndpointBodies.rename),
            row("PATCH", diagram, 400, json: EndpointBodies.readOnlyPatch),
            row("PATCH", diagram, 422, json: badCells),
            afterSession("GET", collaborate, 200),
            afterSession("POST", collaborate, 201, starting: false),
            afterSession("POST", collaborate, 409),
            row("POST", tm + "/diagrams/not-a-uuid/collaborate", 400).relabelled(collaborate),
            afterSession("PUT", collaborate, 200),
            afterSession("DELETE", collaborate, 204),
            // No session is live on the shared fixture's diagram.
            row("GET", collaborate, 404),
            row("PUT", collaborate, 404),
            row("DELETE", collaborate, 404),
            row("POST", collaborate, 404, missing: "diagram_id"),
        ]
            + denials("PATCH", diagram, missing: "diagram_id") { _ in EndpointBodies.rename }
            + ["GET", "POST", "PUT", "DELETE"].flatMap { method in
                [
                    row(method, collaborate, 401, .anonymous),
                    row(method, collaborate, 403, .stranger),
                ]
            }
    }

    /// `method` on a fresh fixture's diagram after the owner started a session there (or not).
    static func afterSession(_ method: String, _ path: String, _ status: Int, starting: Bool = true)
        -> EndpointScenario
    {
        EndpointScenario(method: method, path: path, status: status) { world in
            let fixture = try await world.fixture()
            if starting {
                let started = try await world.call("POST", fixture.path(path))
                guard started.status == 201 else { throw FixtureFailed(what: "session: \(started.status)") }
            }
            return try await world.call(method, fixture.path(path))
        }
    }
}

extension EndpointScenario {
    /// The same request, counted under the contract's `path` (for a request to a malformed path).
    func relabelled(_ path: String) -> EndpointScenario {
        var copy = self
        copy.path = path
        return copy
    }
}

extension JSONValue {
    func merging(_ other: [String: JSONValue]) -> JSONValue {
        guard var object = objectValue else { return self }
        for (k, v) in other { object[k] = v }
        return .object(object)
    }
}
