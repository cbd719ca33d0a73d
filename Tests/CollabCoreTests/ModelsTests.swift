import Testing

@testable import CollabCore

@Suite struct ModelsTests {
    let id = EntityID.random()
    let modelID = EntityID.random()

    @Test func threatRoundTrips() throws {
        var body = Fixtures.threat
        body["diagram_id"] = "A1B2C3D4-0000-4000-8000-00000000ABCD"
        body["score"] = 7.5
        body["metadata"] = [["key": "team", "value": "red"]]
        let input = try ThreatInput.parse(body, mode: .create)
        #expect(input.diagramID?.text == "a1b2c3d4-0000-4000-8000-00000000abcd")
        let threat = Threat(
            id: id, threatModelID: modelID, createdAt: Fixtures.t0, modifiedAt: Fixtures.t0, input: input)
        let json = threat.json
        #expect(json["diagram_id"] == "a1b2c3d4-0000-4000-8000-00000000abcd")
        #expect(json["created_at"] == "2025-04-06T12:00:00.000Z")
        #expect(json["threat_model_id"] == modelID.json)
        #expect(json["severity"] == "High")
        #expect(json["score"] == 7.5)
        #expect(json["cell_id"] == nil)
        #expect(try Threat.parse(json) == threat)
        #expect(threat.name == "Data breach")
    }

    @Test func documentAndSourceRoundTrip() throws {
        let doc = Document(id: id, input: try DocumentInput.parse(Fixtures.document, mode: .create))
        #expect(
            doc.json == [
                "id": id.json, "name": "Design", "url": "https://example.com/design.pdf", "metadata": [],
            ])
        #expect(try Document.parse(doc.json) == doc)

        let source = Source(id: id, input: try SourceInput.parse(Fixtures.source, mode: .create))
        #expect(source.json["parameters"] == ["refType": "branch", "refValue": "main"])
        #expect(source.json["type"] == "git")
        #expect(try Source.parse(source.json) == source)
    }

    @Test func threatModelCreateGivesTheCreatorAnOwnerEntry() throws {
        var body = Fixtures.threatModel
        body["authorization"] = [["subject": "bob@test.tmi", "role": "reader"]]
        let input = try ThreatModelInput.parse(body, mode: .create)
        let model = ThreatModel(id: id, creator: "alice@test.tmi", at: Fixtures.t0, input: input)
        #expect(model.owner == "alice@test.tmi")
        #expect(
            model.authorization == [
                Authorization(subject: "bob@test.tmi", role: .reader),
                Authorization(subject: "alice@test.tmi", role: .owner),
            ])
        let json = model.json(threats: [], documents: [], sources: [], diagrams: [])
        for key in [
            "id", "name", "owner", "created_by", "threat_model_framework", "authorization", "created_at",
            "modified_at", "threats", "documents", "sourceCode", "diagrams", "metadata",
        ] {
            #expect(json[key] != nil, "\(key)")
        }
        #expect(try ThreatModel.parse(json) == model)
    }

    @Test func threatModelDefaultsTheFrameworkAndReplacesFields() throws {
        let input = try ThreatModelInput.parse(["name": "M", "description": "d"], mode: .create)
        let model = ThreatModel(id: id, creator: "alice@test.tmi", at: Fixtures.t0, input: input)
        #expect(model.threatModelFramework == "STRIDE")
        let later = Timestamp(millisecondsSinceEpoch: Fixtures.t0.millisecondsSinceEpoch + 5)
        let put = try ThreatModelInput.parse(
            ["name": "M2", "owner": "carol@test.tmi", "id": .string(id.text.uppercased())],
            mode: .replace(model))
        let replaced = model.replacing(with: put, at: later)
        #expect(replaced.name == "M2")
        #expect(replaced.description == nil)
        #expect(replaced.owner == "carol@test.tmi")
        #expect(replaced.authorization.contains(Authorization(subject: "alice@test.tmi", role: .owner)))
        #expect(replaced.authorization.contains(Authorization(subject: "carol@test.tmi", role: .owner)))
        #expect(replaced.createdAt == Fixtures.t0)
        #expect(replaced.modifiedAt == later)
    }

    /// Cells keep every property, in whichever geometry form they came.
    @Test func diagramCellsRoundTripLosslessly() throws {
        let input = try DiagramInput.parse(Fixtures.diagram, mode: .create)
        let diagram = Diagram(
            id: id, name: input.name, cells: input.cells, createdAt: Fixtures.t0, modifiedAt: Fixtures.t0)
        let json = diagram.json
        #expect(json["cells"] == Fixtures.cells)
        #expect(json["update_vector"] == 0)
        #expect(json["type"] == "DFD-1.0.0")
        let reparsed = try JSONValue.parse(json.serialized())
        #expect(try Diagram.parse(reparsed) == diagram)

        let flat = input.cells[0]
        let nested = input.cells[1]
        #expect(flat.geometry == Cell.Geometry(x: 10, y: 20, width: 120, height: 60))
        #expect(nested.geometry == Cell.Geometry(x: 300, y: 40, width: 80, height: 40))
        #expect(input.cells[2].geometry == nil)
        #expect(input.cells[2].sourceCellID?.text == Fixtures.nodeA)
        #expect(flat.kind == .node(.process))
        #expect(input.cells[2].kind == .edge)
    }

    @Test func geometryConvertsBetweenForms() throws {
        let input = try DiagramInput.parse(Fixtures.diagram, mode: .create)
        let nested = input.cells[0].withGeometry(in: .nested)
        #expect(nested.object["x"] == nil)
        #expect(nested.object["position"] == ["x": 10, "y": 20])
        #expect(nested.object["size"] == ["width": 120, "height": 60])
        #expect(nested.object["customX6"] == input.cells[0].object["customX6"])
        let flat = input.cells[1].withGeometry(in: .flat)
        #expect(flat.object["position"] == nil)
        #expect(flat.object["width"] == 80)
        #expect(flat.geometry == input.cells[1].geometry)
    }

    @Test func diagramReplaceBumpsTheUpdateVectorAndDefaultsTheImageVector() throws {
        let d = Diagram(id: id, name: "D", updateVector: 41, createdAt: Fixtures.t0, modifiedAt: Fixtures.t0)
        var body = Fixtures.diagram
        body["image"] = ["svg": "PHN2Zy8+"]
        body["update_vector"] = 41
        let input = try DiagramInput.parse(body, mode: .replace(d))
        let next = d.replacing(with: input, at: Fixtures.t0)
        #expect(next.updateVector == 42)
        #expect(next.image == Diagram.Image(svg: "PHN2Zy8+", updateVector: 42))
        #expect(next.json["image"] == ["svg": "PHN2Zy8+", "update_vector": 42])
        #expect(next.cells.count == 3)
    }

    @Test func listItemsCarryTheRequiredFields() throws {
        let model = ThreatModel(
            id: id, name: "M", owner: "a@x", createdBy: "a@x", createdAt: Fixtures.t0, modifiedAt: Fixtures.t0
        )
        let item = TMListItem(model: model, documentCount: 1, sourceCount: 2, diagramCount: 3, threatCount: 4)
            .json
        for key in [
            "id", "name", "created_at", "modified_at", "owner", "created_by", "threat_model_framework",
        ] {
            #expect(item[key] != nil, "\(key)")
        }
        #expect(item["document_count"] == 1)
        #expect(item["source_count"] == 2)
        #expect(item["diagram_count"] == 3)
        #expect(item["threat_count"] == 4)
        let d = Diagram(id: id, name: "D", createdAt: Fixtures.t0, modifiedAt: Fixtures.t0)
        #expect(DiagramListItem(d).json == ["id": id.json, "name": "D", "type": "DFD-1.0.0"])
    }

    @Test(arguments: [
        ("2025-04-06T12:00:00Z", 1_743_940_800_000), ("2025-04-06T12:00:00.000Z", 1_743_940_800_000),
        ("2025-04-06t12:00:00.5z", 1_743_940_800_500), ("2025-04-06T14:30:00+02:30", 1_743_940_800_000),
        ("2025-04-06T09:00:00.123456-03:00", 1_743_940_800_123), ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.999Z", -1), ("2024-02-29T00:00:00Z", 1_709_164_800_000),
    ])
    func parsesRFC3339(text: String, millis: Int64) {
        #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == millis)
    }

    @Test(arguments: [
        "2025-04-06", "2025-04-06T12:00:00", "2025-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2025-04-06T24:00:00Z",
        "2025-04-06T12:00:00.Z", "2025-04-06T12:00:00+0200", "2025-04-06T12:00:00Zjunk",
        "x025-04-06T12:00:00Z",
    ])
    func rejectsBadRFC3339(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func formatsRFC3339InTwentyFourCharacters() {
        for ms: Int64 in [0, -1, 1_743_940_800_123, 253_402_300_799_999] {
            let text = Timestamp(millisecondsSinceEpoch: ms).rfc3339
            #expect(text.count == 24)
            #expect(Timestamp(rfc3339: text)?.millisecondsSinceEpoch == ms)
        }
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }
}
