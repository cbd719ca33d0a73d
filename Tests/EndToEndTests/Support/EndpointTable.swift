import CollabCore
import RESTGateway

/// The rows of `EndpointTableTests`: one per (method, path, status) of `reference/endpoints.md`.
enum EndpointTable {
    typealias Body = @Sendable (Fixture) -> JSONValue?

    static var scenarios: [EndpointScenario] {
        identity + discovery + collaboration + threatModels + metadata + children + threatBatches
            + diagramExtras
    }

    /// A request as `caller` on the shared fixture, or on a new one (`fresh`) when it changes
    /// state; `missing` names the parameter that points at nothing; `query` is templated too.
    static func row(
        _ method: String, _ path: String, _ status: Int, _ caller: Caller = .owner,
        missing: String? = nil, fresh: Bool = false, query: String = "", body: @escaping Body = { _ in nil }
    ) -> EndpointScenario {
        EndpointScenario(method: method, path: path, status: status) { world in
            var fixture = fresh ? try await world.fixture() : world.shared
            if let missing { fixture = fixture.missing(missing) }
            return try await world.call(
                method, fixture.path(path + query), as: caller, body: body(fixture))
        }
    }

    static func row(
        _ method: String, _ path: String, _ status: Int, _ caller: Caller = .owner,
        missing: String? = nil, fresh: Bool = false, query: String = "", json: JSONValue?
    ) -> EndpointScenario {
        row(method, path, status, caller, missing: missing, fresh: fresh, query: query) { _ in json }
    }

    /// 401 without a token, 403 for a user with no role, 404 when `missing` does not exist; each
    /// with a valid body so only the named condition can cause the status.
    static func denials(
        _ method: String, _ path: String, missing: String, query: String = "",
        body: @escaping Body = { _ in nil }
    ) -> [EndpointScenario] {
        [
            row(method, path, 401, .anonymous, query: query, body: body),
            row(method, path, 403, .stranger, query: query, body: body),
            row(method, path, 404, missing: missing, query: query, body: body),
        ]
    }

    static let tm = "/threat_models/{threat_model_id}"

    static var threatModels: [EndpointScenario] {
        [
            row("GET", "/threat_models", 200),
            row("GET", "/threat_models", 401, .anonymous),
            row("POST", "/threat_models", 201, json: EndpointBodies.threatModel),
            row("POST", "/threat_models", 400, json: [:]),
            row("POST", "/threat_models", 401, .anonymous, json: EndpointBodies.threatModel),
            row("GET", tm, 200),
            row("PUT", tm, 200, fresh: true, json: ["name": "Renamed"]),
            row("PUT", tm, 400, json: ["name": 5]),
            row("PATCH", tm, 200, fresh: true, json: EndpointBodies.rename),
            row("PATCH", tm, 400, json: EndpointBodies.readOnlyPatch),
            row("DELETE", tm, 204, fresh: true),
        ]
            + denials("GET", tm, missing: "threat_model_id")
            + denials("PUT", tm, missing: "threat_model_id") { _ in EndpointBodies.threatModel }
            + denials("PATCH", tm, missing: "threat_model_id") { _ in EndpointBodies.rename }
            + denials("DELETE", tm, missing: "threat_model_id")
    }

    /// The six metadata endpoints of the model and of each child kind.
    static var metadata: [EndpointScenario] {
        let owners = [
            (tm, "threat_model_id"), (tm + "/threats/{threat_id}", "threat_id"),
            (tm + "/documents/{document_id}", "document_id"), (tm + "/sources/{source_id}", "source_id"),
            (tm + "/diagrams/{diagram_id}", "diagram_id"),
        ]
        return owners.flatMap { owner, parameter -> [EndpointScenario] in
            let list = owner + "/metadata"
            let key = list + "/{key}"
            let bulk = list + "/bulk"
            return [
                row("GET", list, 200),
                row("POST", list, 201, fresh: true, json: EndpointBodies.metadata),
                row("POST", list, 400, json: EndpointBodies.badMetadata),
                row("GET", key, 200),
                row("PUT", key, 200, fresh: true, json: EndpointBodies.metadataValue),
                row("PUT", key, 400, json: ["value": 5]),
                row("DELETE", key, 204, fresh: true),
                row("POST", bulk, 201, fresh: true, json: EndpointBodies.metadataBulk),
                row("POST", bulk, 400, json: [EndpointBodies.badMetadata]),
            ]
                + denials("GET", list, missing: parameter)
                + denials("POST", list, missing: parameter) { _ in EndpointBodies.metadata }
                + denials("GET", key, missing: parameter)
                + denials("PUT", key, missing: parameter) { _ in EndpointBodies.metadataValue }
                + denials("DELETE", key, missing: parameter)
                + denials("POST", bulk, missing: parameter) { _ in EndpointBodies.metadataBulk }
        }
    }

    /// CRUD of threats, documents, sources and diagrams, plus bulk create where listed.
    static var children: [EndpointScenario] {
        // A diagram PUT is a whole diagram (the spec's DfdDiagramInput requires `cells`).
        let diagramReplace = EndpointBodies.diagram.merging(["cells": []])
        let kinds: [(String, String, JSONValue, JSONValue, Bool)] = [
            ("threats", "threat_id", EndpointBodies.threat, EndpointBodies.threat, true),
            ("documents", "document_id", EndpointBodies.document, EndpointBodies.document, true),
            ("sources", "source_id", EndpointBodies.source, EndpointBodies.source, true),
            ("diagrams", "diagram_id", EndpointBodies.diagram, diagramReplace, false),
        ]
        return kinds.flatMap { kind, parameter, body, replace, hasBulk -> [EndpointScenario] in
            let list = "\(tm)/\(kind)"
            let item = "\(list)/{\(parameter)}"
            var rows = [
                row("GET", list, 200),
                row("POST", list, 201, fresh: true, json: body),
                row("POST", list, 400, json: [:]),
                row("GET", item, 200),
                row("PUT", item, 200, fresh: true, json: replace),
                row("PUT", item, 400, json: [:]),
                row("DELETE", item, 204, fresh: true),
            ]
            rows += denials("GET", list, missing: "threat_model_id")
            rows += denials("POST", list, missing: "threat_model_id") { _ in body }
            rows += denials("GET", item, missing: parameter)
            rows += denials("PUT", item, missing: parameter) { _ in replace }
            rows += denials("DELETE", item, missing: parameter)
            if hasBulk {
                rows += [
                    row("POST", list + "/bulk", 201, fresh: true, json: [body, body]),
                    row("POST", list + "/bulk", 400, json: [[:]]),
                ]
                rows += denials("POST", list + "/bulk", missing: "threat_model_id") { _ in [body] }
            }
            return rows
        }
    }
}
