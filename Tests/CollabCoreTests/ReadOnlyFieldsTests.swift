import Testing

@testable import CollabCore

/// DESIGN §1/§10: read-only fields are refused on create; on replace they are ignored when equal
/// to the stored value and refused when different.
@Suite struct ReadOnlyFieldsTests {
    let id = EntityID.random()
    let modelID = EntityID.random()

    var threat: Threat {
        get throws {
            Threat(
                id: id, threatModelID: modelID, createdAt: Fixtures.t0, modifiedAt: Fixtures.t0,
                input: try ThreatInput.parse(Fixtures.threat, mode: .create))
        }
    }

    @Test(arguments: ThreatInput.readOnlyFields)
    func threatCreateRefuses(field: String) throws {
        var body = Fixtures.threat
        body[field] = (try threat).json[field]
        #expect(
            throws: ValidationError(
                "/\(field)", .readOnly, "is read-only and cannot be set on create",
                suggestion: "remove \(field) from the request body")
        ) {
            try ThreatInput.parse(body, mode: .create)
        }
    }

    @Test func replaceIgnoresEchoedEqualValues() throws {
        let stored = try threat
        var body = stored.json
        body["name"] = "renamed"
        body["id"] = .string(id.text.uppercased())
        body["created_at"] = "2025-04-06T14:00:00+02:00"
        let input = try ThreatInput.parse(body, mode: .replace(stored))
        #expect(input.name == "renamed")
    }

    @Test(arguments: [
        ("id", JSONValue.string("00000000-0000-4000-8000-000000000000")),
        ("threat_model_id", .string("00000000-0000-4000-8000-000000000000")),
        ("created_at", "2025-04-06T12:00:00.001Z"), ("modified_at", "yesterday"), ("id", nil),
    ])
    func replaceRefusesChangedValues(field: String, value: JSONValue) throws {
        let stored = try threat
        var body = stored.json
        body[field] = value
        do throws(ValidationError) {
            _ = try ThreatInput.parse(body, mode: .replace(stored))
            Issue.record("accepted a changed \(field)")
        } catch {
            #expect(error.field == "/\(field)")
            #expect(error.code == .readOnly)
            #expect(error.details["code"] == "read_only_field")
        }
    }

    @Test func replaceAllowsOmittingReadOnlyFields() throws {
        #expect(try ThreatInput.parse(Fixtures.threat, mode: .replace(try threat)).name == "Data breach")
    }

    @Test func threatModelReplaceComparesNestedCollections() throws {
        let model = ThreatModel(
            id: id, creator: "a@x", at: Fixtures.t0,
            input: try ThreatModelInput.parse(Fixtures.threatModel, mode: .create))
        let stored = model.json(threats: [try threat], documents: [], sources: [], diagrams: [])
        var body = stored
        body["name"] = "New"
        #expect(try ThreatModelInput.parse(body, mode: .replace(existing: stored)).name == "New")
        body["threats"] = []
        #expect(throws: ValidationError.self) {
            try ThreatModelInput.parse(body, mode: .replace(existing: stored))
        }
        var owner = stored
        owner["owner"] = "b@x"
        #expect(try ThreatModelInput.parse(owner, mode: .replace(existing: stored)).owner == "b@x")
    }

    @Test(arguments: ["id", "created_at", "modified_at", "update_vector"])
    func diagramPatchOfAReadOnlyFieldIsReported(field: String) throws {
        let input = try DiagramInput.parse(Fixtures.diagram, mode: .create)
        let diagram = Diagram(
            id: id, name: "D", cells: input.cells, updateVector: 4, createdAt: Fixtures.t0,
            modifiedAt: Fixtures.t0)
        let patch = try JSONPatch.parse(
            [["op": "replace", "path": .string("/\(field)"), "value": 99]] as JSONValue)
        #expect(patch.firstModification(ofAnyOf: Set(DiagramInput.readOnlyFields)) == "/\(field)")
        let patched = try patch.apply(to: diagram.json)
        #expect(DiagramRules.firstViolation(inDiagram: patched, existing: diagram.json)?.code == .readOnly)
    }

    /// A patch that leaves a dangling edge applies, but the result is invalid (PATCH → 422).
    @Test func diagramPatchResultIsValidated() throws {
        let input = try DiagramInput.parse(Fixtures.diagram, mode: .create)
        let diagram = Diagram(
            id: id, name: "D", cells: input.cells, createdAt: Fixtures.t0, modifiedAt: Fixtures.t0)
        let remove = try JSONPatch.parse([["op": "remove", "path": "/cells/1"]] as JSONValue)
        let patched = try remove.apply(to: diagram.json)
        let violation = DiagramRules.firstViolation(inDiagram: patched, existing: diagram.json)
        #expect(violation?.field == "/cells/1/target/cell")
        #expect(violation?.code == .danglingReference)
        let rename = try JSONPatch.parse([["op": "replace", "path": "/name", "value": "D2"]] as JSONValue)
        #expect(
            DiagramRules.firstViolation(inDiagram: try rename.apply(to: diagram.json), existing: diagram.json)
                == nil)
    }
}
