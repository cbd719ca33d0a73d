import Testing

@testable import CollabCore

/// One rule of the spec per row: a valid fixture body, changed by a JSON Patch, must parse
/// (expected nil) or fail at exactly the named field with the named code.
struct ValidationRow: Sendable, CustomTestStringConvertible {
    enum Kind: Sendable { case threat, document, source, threatModel, createDiagram, diagram }
    let kind: Kind
    let label: String
    let ops: [JSONValue]
    let expected: (String, ValidationError.Code)?

    var testDescription: String { "\(kind) \(label)" }

    func body() throws -> JSONValue {
        let base: JSONValue =
            switch kind {
            case .threat: Fixtures.threat
            case .document: Fixtures.document
            case .source: Fixtures.source
            case .threatModel: Fixtures.threatModel
            case .createDiagram: Fixtures.createDiagram
            case .diagram: Fixtures.diagram
            }
        return try JSONPatch.parse(.array(ops)).apply(to: base)
    }

    func parse(_ body: JSONValue) throws(ValidationError) {
        switch kind {
        case .threat: _ = try ThreatInput.parse(body, mode: .create)
        case .document: _ = try DocumentInput.parse(body, mode: .create)
        case .source: _ = try SourceInput.parse(body, mode: .create)
        case .threatModel: _ = try ThreatModelInput.parse(body, mode: .create)
        case .createDiagram: _ = try CreateDiagramRequest.parse(body)
        case .diagram: _ = try DiagramInput.parse(body, mode: .create)
        }
    }
}

private func set(_ path: String, _ value: JSONValue) -> JSONValue {
    ["op": "add", "path": .string(path), "value": value]
}
private func del(_ path: String) -> JSONValue { ["op": "remove", "path": .string(path)] }
private func text(_ n: Int, _ c: String = "a") -> JSONValue { .string(String(repeating: c, count: n)) }
private func uri(_ n: Int) -> JSONValue { .string("https://e.x/" + String(repeating: "a", count: n - 12)) }
private func ok(_ kind: ValidationRow.Kind, _ label: String, _ ops: JSONValue...) -> ValidationRow {
    ValidationRow(kind: kind, label: label, ops: ops, expected: nil)
}
private func bad(
    _ kind: ValidationRow.Kind, _ label: String, _ field: String, _ code: ValidationError.Code,
    _ ops: JSONValue...
) -> ValidationRow {
    ValidationRow(kind: kind, label: label, ops: ops, expected: (field, code))
}

let threatRows: [ValidationRow] = [
    ok(.threat, "fixture"),
    bad(.threat, "name required", "/name", .required, del("/name")),
    ok(.threat, "name 256", set("/name", text(256))),
    bad(.threat, "name 257", "/name", .tooLong, set("/name", text(257))),
    ok(.threat, "name counts code points", set("/name", text(256, "é"))),
    bad(.threat, "name type", "/name", .wrongType, set("/name", 5)),
    ok(.threat, "description 1024", set("/description", text(1024))),
    bad(.threat, "description 1025", "/description", .tooLong, set("/description", text(1025))),
    ok(.threat, "mitigation 1024", set("/mitigation", text(1024))),
    bad(.threat, "mitigation 1025", "/mitigation", .tooLong, set("/mitigation", text(1025))),
    ok(.threat, "diagram_id null", set("/diagram_id", nil)),
    bad(.threat, "diagram_id uuid", "/diagram_id", .format, set("/diagram_id", "nope")),
    bad(.threat, "diagram_id empty", "/diagram_id", .format, set("/diagram_id", "")),
    bad(.threat, "cell_id uuid", "/cell_id", .format, set("/cell_id", "1234")),
    ok(.threat, "cell_id uppercase uuid", set("/cell_id", "6F1E2A4C-0B7D-4C3E-9A1F-2B3C4D5E6F70")),
    bad(.threat, "severity required", "/severity", .required, del("/severity")),
    bad(.threat, "severity enum is case-sensitive", "/severity", .notInEnum, set("/severity", "high")),
    bad(.threat, "severity null", "/severity", .notNullable, set("/severity", nil)),
    ok(.threat, "score 0", set("/score", 0)),
    ok(.threat, "score 10", set("/score", 10)),
    bad(.threat, "score below 0", "/score", .belowMinimum, set("/score", -0.1)),
    bad(.threat, "score above 10", "/score", .aboveMaximum, set("/score", 10.01)),
    bad(.threat, "score type", "/score", .wrongType, set("/score", "5")),
    bad(.threat, "priority required", "/priority", .required, del("/priority")),
    ok(.threat, "priority 16", set("/priority", text(16))),
    bad(.threat, "priority 17", "/priority", .tooLong, set("/priority", text(17))),
    bad(.threat, "mitigated required", "/mitigated", .required, del("/mitigated")),
    bad(.threat, "mitigated type", "/mitigated", .wrongType, set("/mitigated", "no")),
    bad(.threat, "status required", "/status", .required, del("/status")),
    ok(.threat, "status 256", set("/status", text(256))),
    bad(.threat, "status 257", "/status", .tooLong, set("/status", text(257))),
    bad(.threat, "threat_type required", "/threat_type", .required, del("/threat_type")),
    bad(.threat, "threat_type 257", "/threat_type", .tooLong, set("/threat_type", text(257))),
    ok(.threat, "issue_url 1024", set("/issue_url", uri(1024))),
    bad(.threat, "issue_url 1025", "/issue_url", .tooLong, set("/issue_url", uri(1025))),
    bad(.threat, "issue_url relative", "/issue_url", .format, set("/issue_url", "/just/a/path")),
    bad(.threat, "issue_url with space", "/issue_url", .format, set("/issue_url", "https://e.x/a b")),
    bad(.threat, "issue_url bad escape", "/issue_url", .format, set("/issue_url", "https://e.x/%zz")),
    ok(.threat, "issue_url escapes and query", set("/issue_url", "https://e.x/a%20b?q=1#f")),
    ok(.threat, "metadata null", set("/metadata", nil)),
    bad(.threat, "metadata type", "/metadata", .wrongType, set("/metadata", "k=v")),
    bad(.threat, "metadata entry type", "/metadata/0", .wrongType, set("/metadata", [1])),
    bad(
        .threat, "metadata key pattern", "/metadata/0/key", .pattern,
        set("/metadata", [["key": "a b", "value": "v"]])),
    bad(
        .threat, "metadata key empty", "/metadata/0/key", .tooShort,
        set("/metadata", [["key": "", "value": "v"]])),
    ok(.threat, "metadata key 256", set("/metadata", [["key": text(256), "value": "v"]])),
    bad(
        .threat, "metadata key 257", "/metadata/0/key", .tooLong,
        set("/metadata", [["key": text(257), "value": "v"]])),
    ok(.threat, "metadata key charset", set("/metadata", [["key": "aZ09_./:-", "value": "v"]])),
    bad(
        .threat, "metadata value pattern", "/metadata/0/value", .pattern,
        set("/metadata", [["key": "k", "value": "<b>"]])),
    bad(
        .threat, "metadata value empty", "/metadata/0/value", .tooShort,
        set("/metadata", [["key": "k", "value": ""]])),
    ok(.threat, "metadata value 1024", set("/metadata", [["key": "k", "value": text(1024)]])),
    bad(
        .threat, "metadata value 1025", "/metadata/0/value", .tooLong,
        set("/metadata", [["key": "k", "value": text(1025)]])),
    bad(.threat, "metadata value required", "/metadata/0/value", .required, set("/metadata", [["key": "k"]])),
    bad(
        .threat, "metadata duplicate key", "/metadata/1/key", .duplicate,
        set("/metadata", [["key": "k", "value": "1"], ["key": "k", "value": "2"]])),
    bad(.threat, "body not an object", "", .wrongType, set("", [1])),
]

let documentAndSourceRows: [ValidationRow] = [
    ok(.document, "fixture"),
    bad(.document, "name required", "/name", .required, del("/name")),
    bad(.document, "name empty", "/name", .tooShort, set("/name", "")),
    bad(.document, "name pattern", "/name", .pattern, set("/name", "R&D")),
    bad(.document, "name 257", "/name", .tooLong, set("/name", text(257))),
    bad(.document, "url required", "/url", .required, del("/url")),
    bad(.document, "url format", "/url", .format, set("/url", "design.pdf")),
    bad(.document, "url 1025", "/url", .tooLong, set("/url", uri(1025))),
    ok(.document, "description null", set("/description", nil)),
    bad(.document, "description 1025", "/description", .tooLong, set("/description", text(1025))),
    ok(.source, "fixture"),
    ok(.source, "only url", del("/name"), del("/type"), del("/parameters")),
    bad(.source, "url required", "/url", .required, del("/url")),
    bad(.source, "url format", "/url", .format, set("/url", "git@github.com:x/y.git")),
    bad(.source, "type enum", "/type", .notInEnum, set("/type", "cvs")),
    bad(.source, "name 257", "/name", .tooLong, set("/name", text(257))),
    bad(.source, "description 1025", "/description", .tooLong, set("/description", text(1025))),
    bad(.source, "parameters type", "/parameters", .wrongType, set("/parameters", "main")),
    bad(.source, "refType required", "/parameters/refType", .required, del("/parameters/refType")),
    bad(.source, "refType enum", "/parameters/refType", .notInEnum, set("/parameters/refType", "sha")),
    bad(.source, "refValue required", "/parameters/refValue", .required, del("/parameters/refValue")),
    bad(.source, "refValue 257", "/parameters/refValue", .tooLong, set("/parameters/refValue", text(257))),
    bad(.source, "subPath 257", "/parameters/subPath", .tooLong, set("/parameters/subPath", text(257))),
]

let threatModelRows: [ValidationRow] = [
    ok(.threatModel, "fixture"),
    ok(.threatModel, "name only", del("/threat_model_framework")),
    bad(.threatModel, "name required", "/name", .required, del("/name")),
    bad(.threatModel, "name empty", "/name", .tooShort, set("/name", "")),
    bad(.threatModel, "name pattern", "/name", .pattern, set("/name", "a\"b")),
    bad(.threatModel, "name 257", "/name", .tooLong, set("/name", text(257))),
    ok(.threatModel, "description null", set("/description", nil)),
    bad(.threatModel, "description pattern", "/description", .pattern, set("/description", "<script>")),
    ok(.threatModel, "description may quote", set("/description", "Tom's & Jerry's")),
    bad(.threatModel, "description 1025", "/description", .tooLong, set("/description", text(1025))),
    ok(.threatModel, "issue_url null", set("/issue_url", nil)),
    bad(.threatModel, "issue_url format", "/issue_url", .format, set("/issue_url", "TM-123")),
    bad(.threatModel, "authorization type", "/authorization", .wrongType, set("/authorization", ["a": "b"])),
    ok(.threatModel, "authorization entries", set("/authorization", [["subject": "b@x", "role": "writer"]])),
    bad(
        .threatModel, "role enum", "/authorization/0/role", .notInEnum,
        set("/authorization", [["subject": "b@x", "role": "admin"]])),
    bad(
        .threatModel, "role required", "/authorization/0/role", .required,
        set("/authorization", [["subject": "b@x"]])),
    bad(
        .threatModel, "subject empty", "/authorization/0/subject", .tooShort,
        set("/authorization", [["subject": "", "role": "reader"]])),
    bad(
        .threatModel, "subject pattern", "/authorization/0/subject", .pattern,
        set("/authorization", [["subject": "a<b", "role": "reader"]])),
    bad(
        .threatModel, "subject 257", "/authorization/0/subject", .tooLong,
        set("/authorization", [["subject": text(257), "role": "reader"]])),
    bad(
        .threatModel, "duplicate subject", "/authorization/1/subject", .duplicate,
        set("/authorization", [["subject": "b@x", "role": "reader"], ["subject": "B@X", "role": "writer"]])),
    bad(.threatModel, "owner on create", "/owner", .readOnly, set("/owner", "me@x")),
    bad(.threatModel, "id on create", "/id", .readOnly, set("/id", "6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f70")),
    bad(.threatModel, "created_by on create", "/created_by", .readOnly, set("/created_by", "me@x")),
    bad(.threatModel, "threats on create", "/threats", .readOnly, set("/threats", [])),
    bad(.threatModel, "sourceCode on create", "/sourceCode", .readOnly, set("/sourceCode", [])),
    bad(.threatModel, "diagrams on create", "/diagrams", .readOnly, set("/diagrams", [])),
    bad(.threatModel, "documents on create", "/documents", .readOnly, set("/documents", [])),
    bad(
        .threatModel, "modified_at on create", "/modified_at", .readOnly,
        set("/modified_at", "2025-01-01T00:00:00Z")),
]

let diagramRows: [ValidationRow] = [
    ok(.createDiagram, "fixture"),
    bad(.createDiagram, "name required", "/name", .required, del("/name")),
    bad(.createDiagram, "name 257", "/name", .tooLong, set("/name", text(257))),
    bad(.createDiagram, "type required", "/type", .required, del("/type")),
    bad(.createDiagram, "type enum", "/type", .notInEnum, set("/type", "DFD-2.0.0")),
    bad(.createDiagram, "no other fields", "/cells", .unknownField, set("/cells", [])),
    bad(.createDiagram, "id is read-only", "/id", .readOnly, set("/id", "x")),
    ok(.diagram, "fixture"),
    ok(.diagram, "no cells", set("/cells", [])),
    bad(.diagram, "cells required", "/cells", .required, del("/cells")),
    bad(.diagram, "update_vector on create", "/update_vector", .readOnly, set("/update_vector", 3)),
    bad(.diagram, "cell not an object", "/cells/0", .wrongType, set("/cells/0", "x")),
    bad(.diagram, "cell id required", "/cells/0/id", .required, del("/cells/0/id")),
    bad(.diagram, "cell id uuid", "/cells/0/id", .format, set("/cells/0/id", "node-1")),
    bad(.diagram, "shape required", "/cells/0/shape", .required, del("/cells/0/shape")),
    bad(.diagram, "shape enum", "/cells/0/shape", .notInEnum, set("/cells/0/shape", "cloud")),
    bad(.diagram, "flat x required", "/cells/0/x", .required, del("/cells/0/x")),
    bad(.diagram, "flat width required", "/cells/0/width", .required, del("/cells/0/width")),
    ok(.diagram, "flat width 40", set("/cells/0/width", 40)),
    bad(.diagram, "flat width 39", "/cells/0/width", .belowMinimum, set("/cells/0/width", 39)),
    ok(.diagram, "flat height 30", set("/cells/0/height", 30)),
    bad(.diagram, "flat height 29", "/cells/0/height", .belowMinimum, set("/cells/0/height", 29)),
    bad(.diagram, "nested y required", "/cells/1/position/y", .required, del("/cells/1/position/y")),
    bad(.diagram, "nested width 39", "/cells/1/size/width", .belowMinimum, set("/cells/1/size/width", 39)),
    bad(.diagram, "nested height 29", "/cells/1/size/height", .belowMinimum, set("/cells/1/size/height", 29)),
    bad(.diagram, "nested size type", "/cells/1/size", .wrongType, set("/cells/1/size", [80, 40])),
    bad(.diagram, "no geometry", "/cells/1/x", .required, del("/cells/1/position")),
    bad(.diagram, "zIndex minimum", "/cells/0/zIndex", .belowMinimum, set("/cells/0/zIndex", -1)),
    bad(.diagram, "visible type", "/cells/0/visible", .wrongType, set("/cells/0/visible", "yes")),
    bad(.diagram, "label 257", "/cells/0/label", .tooLong, set("/cells/0/label", text(257))),
    bad(.diagram, "parent uuid", "/cells/0/parent", .format, set("/cells/0/parent", "p")),
    ok(.diagram, "parent null", set("/cells/0/parent", nil)),
    bad(.diagram, "data type", "/cells/1/data", .wrongType, set("/cells/1/data", [1])),
    bad(
        .diagram, "data _metadata", "/cells/1/data/_metadata/0/key", .pattern,
        set("/cells/1/data/_metadata/0/key", "a b")),
    bad(
        .diagram, "markup tagName", "/cells/0/markup/0/tagName", .required,
        set("/cells/0/markup", [["selector": "body"]])),
    bad(.diagram, "tools name", "/cells/1/tools/0/name", .required, set("/cells/1/tools/0", ["args": [:]])),
    bad(.diagram, "edge source required", "/cells/2/source", .required, del("/cells/2/source")),
    bad(
        .diagram, "edge source cell uuid", "/cells/2/source/cell", .format, set("/cells/2/source/cell", "n1")),
    bad(.diagram, "edge port 65", "/cells/2/source/port", .tooLong, set("/cells/2/source/port", text(65))),
    ok(.diagram, "edge port null", set("/cells/2/source/port", nil)),
    bad(
        .diagram, "edge to a missing node", "/cells/2/target/cell", .danglingReference,
        set("/cells/2/target/cell", "00000000-0000-4000-8000-000000000000")),
    bad(
        .diagram, "edge to an edge", "/cells/2/target/cell", .danglingReference,
        set("/cells/2/target/cell", .string(Fixtures.edge))),
    ok(
        .diagram, "edge reference is case-insensitive",
        set("/cells/2/target/cell", .string(Fixtures.nodeB.uppercased()))),
    bad(
        .diagram, "duplicate cell ids", "/cells/1/id", .duplicate, set("/cells/1/id", .string(Fixtures.nodeA))
    ),
    bad(.diagram, "router enum", "/cells/2/router/name", .notInEnum, set("/cells/2/router/name", "fast")),
    bad(.diagram, "connector enum", "/cells/2/connector", .notInEnum, set("/cells/2/connector", "zigzag")),
    ok(.diagram, "connector object", set("/cells/2/connector", ["name": "smooth"])),
    bad(
        .diagram, "label position above 1", "/cells/2/labels/0/position", .aboveMaximum,
        set("/cells/2/labels/0/position", 1.5)),
    bad(.diagram, "vertex x required", "/cells/2/vertices/0/x", .required, del("/cells/2/vertices/0/x")),
    ok(.diagram, "attrs fill 32", set("/cells/0/attrs/body/fill", text(32))),
    bad(
        .diagram, "attrs fill 33", "/cells/0/attrs/body/fill", .tooLong,
        set("/cells/0/attrs/body/fill", text(33))),
    bad(.diagram, "attrs type", "/cells/0/attrs", .wrongType, set("/cells/0/attrs", "red")),
    bad(
        .diagram, "attrs strokeWidth", "/cells/0/attrs/body/strokeWidth", .belowMinimum,
        set("/cells/0/attrs/body/strokeWidth", -1)),
    ok(.diagram, "attrs dasharray null", set("/cells/0/attrs/body/strokeDasharray", nil)),
    bad(
        .diagram, "attrs dasharray 65", "/cells/0/attrs/body/strokeDasharray", .tooLong,
        set("/cells/0/attrs/body/strokeDasharray", text(65))),
    bad(
        .diagram, "attrs text 257", "/cells/0/attrs/text/text", .tooLong,
        set("/cells/0/attrs/text/text", text(257))),
    bad(
        .diagram, "attrs fontSize", "/cells/0/attrs/text/fontSize", .belowMinimum,
        set("/cells/0/attrs/text/fontSize", 0.5)),
    bad(
        .diagram, "attrs fontFamily 65", "/cells/0/attrs/text/fontFamily", .tooLong,
        set("/cells/0/attrs/text/fontFamily", text(65))),
    ok(.diagram, "attrs unknown members kept", set("/cells/0/attrs/custom", ["a": [1]])),
    bad(
        .diagram, "port id required", "/cells/1/ports/items/0/id", .required, del("/cells/1/ports/items/0/id")
    ),
    bad(
        .diagram, "port id 65", "/cells/1/ports/items/0/id", .tooLong,
        set("/cells/1/ports/items/0/id", text(65))),
    bad(
        .diagram, "port group 33", "/cells/1/ports/items/0/group", .tooLong,
        set("/cells/1/ports/items/0/group", text(33))),
    bad(
        .diagram, "port group position", "/cells/1/ports/groups/in/position", .notInEnum,
        set("/cells/1/ports/groups", ["in": ["position": "middle"]])),
    ok(
        .diagram, "port group positions",
        set(
            "/cells/1/ports/groups",
            [
                "a": ["position": "top"], "b": ["position": "right"], "c": ["position": "bottom"],
                "d": ["position": "left"],
            ])),
    bad(
        .diagram, "node style fill 33", "/cells/0/style/fill", .tooLong,
        set("/cells/0/style", ["fill": text(33)])),
    bad(
        .diagram, "node style fontSize", "/cells/0/style/fontSize", .belowMinimum,
        set("/cells/0/style", ["fontSize": 0])),
    bad(
        .diagram, "edge style dasharray 65", "/cells/2/style/strokeDasharray", .tooLong,
        set("/cells/2/style", ["strokeDasharray": text(65)])),
    bad(
        .diagram, "edge line stroke 33", "/cells/2/attrs/line/stroke", .tooLong,
        set("/cells/2/attrs", ["line": ["stroke": text(33)]])),
    bad(
        .diagram, "marker name", "/cells/2/attrs/line/targetMarker/name", .notInEnum,
        set("/cells/2/attrs", ["line": ["targetMarker": ["name": "arrow"]]])),
    ok(
        .diagram, "marker names",
        set(
            "/cells/2/attrs",
            ["line": ["targetMarker": ["name": "classic", "size": 8], "sourceMarker": ["name": "circle"]]])),
    ok(
        .diagram, "marker names block diamond",
        set(
            "/cells/2/attrs",
            ["line": ["targetMarker": ["name": "block"], "sourceMarker": ["name": "diamond"]]])),
    bad(
        .diagram, "marker size", "/cells/2/attrs/line/sourceMarker/size", .belowMinimum,
        set("/cells/2/attrs", ["line": ["sourceMarker": ["size": 0]]])),
    bad(
        .diagram, "edge label text 257", "/cells/2/labels/0/attrs/text/text", .tooLong,
        set("/cells/2/labels/0/attrs/text/text", text(257))),
    bad(
        .diagram, "label position below 0", "/cells/2/labels/0/position", .belowMinimum,
        set("/cells/2/labels/0/position", -0.1)),
    bad(
        .diagram, "defaultLabel position", "/cells/2/defaultLabel/position", .aboveMaximum,
        set("/cells/2/defaultLabel", ["position": 2])),
    ok(.diagram, "image null", set("/image", nil)),
    ok(.diagram, "image", set("/image", ["svg": "PHN2Zy8+", "update_vector": 3])),
    bad(.diagram, "image svg base64", "/image/svg", .format, set("/image", ["svg": "<svg/>"])),
    bad(
        .diagram, "image vector minimum", "/image/update_vector", .belowMinimum,
        set("/image", ["update_vector": -1])),
    bad(
        .diagram, "image vector integer", "/image/update_vector", .wrongType,
        set("/image", ["update_vector": 1.5])),
]

@Suite struct ValidationTests {
    @Test(arguments: threatRows + documentAndSourceRows + threatModelRows + diagramRows)
    func rule(row: ValidationRow) throws {
        let body = try row.body()
        do throws(ValidationError) {
            try row.parse(body)
            #expect(row.expected == nil, "accepted, expected \(String(describing: row.expected))")
        } catch {
            #expect(error.field == row.expected?.0, "\(error)")
            #expect(error.code == row.expected?.1, "\(error)")
        }
    }

    @Test(arguments: ThreatInput.Severity.allCases)
    func acceptsEverySeverity(severity: ThreatInput.Severity) throws {
        var body = Fixtures.threat
        body["severity"] = .string(severity.rawValue)
        #expect(try ThreatInput.parse(body, mode: .create).severity == severity)
    }

    @Test(arguments: SourceInput.Kind.allCases, SourceInput.Parameters.RefType.allCases)
    func acceptsEverySourceTypeAndRefType(kind: SourceInput.Kind, ref: SourceInput.Parameters.RefType) throws
    {
        var body = Fixtures.source
        body["type"] = .string(kind.rawValue)
        body["parameters"] = ["refType": .string(ref.rawValue), "refValue": "v"]
        let input = try SourceInput.parse(body, mode: .create)
        #expect(input.type == kind)
        #expect(input.parameters?.refType == ref)
    }

    @Test(arguments: Role.allCases)
    func acceptsEveryRole(role: Role) throws {
        let entry = try Authorization.parse(["subject": "a@x", "role": .string(role.rawValue)])
        #expect(entry.role == role)
    }

    @Test(arguments: Cell.NodeShape.allCases)
    func acceptsEveryNodeShape(shape: Cell.NodeShape) throws {
        var cells = Fixtures.cells.arrayValue ?? []
        cells[0]["shape"] = .string(shape.rawValue)
        let parsed = try DiagramRules.parseCells(cells)
        #expect(parsed[0].kind == .node(shape))
    }

    @Test func acceptsEveryRouterAndConnector() throws {
        for name in Cell.routers + Cell.connectors {
            var cells = Fixtures.cells.arrayValue ?? []
            let isRouter = Cell.routers.contains(name)
            cells[2][isRouter ? "router" : "connector"] = .string(name)
            #expect(throws: Never.self) { try DiagramRules.parseCells(cells) }
        }
    }

    @Test func errorDetailsFollowTheSpecShape() throws {
        var body = Fixtures.threat
        body["metadata"] = [["key": "ok", "value": "1"], ["key": "bad key", "value": "2"]]
        do throws(ValidationError) {
            _ = try ThreatInput.parse(body, mode: .create, pointer: "/3")
            Issue.record("accepted")
        } catch {
            #expect(
                error.details == ["code": "invalid_characters", "context": ["field": "/3/metadata/1/key"]])
            #expect(error.description == "/3/metadata/1/key may contain only letters, digits and _ . / : -")
        }
    }

    @Test func pointersEscapeMemberNames() {
        #expect(Pointer.join("/a", "b/c~d") == "/a/b~1c~0d")
    }

    @Test(arguments: [
        ("https://example.com", true), ("urn:isbn:0451450523", true), ("mailto:a@b.c", true),
        ("http://[::1]:8080/x", true), ("https:", false), (":x", false), ("1http://x", false), ("", false),
        ("http://x/\"q\"", false), ("http://x/<a>", false), ("ht tp://x", false),
    ])
    func uriFormat(text: String, valid: Bool) {
        #expect(Formats.isURI(text) == valid)
    }

    @Test(arguments: [
        ("6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f70", true), ("6F1E2A4C-0B7D-4C3E-9A1F-2B3C4D5E6F70", true),
        ("6f1e2a4c0b7d4c3e9a1f2b3c4d5e6f70", false), ("6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f7", false),
        ("6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f7g", false), ("{6f1e2a4c-0b7d-4c3e-9a1f-2b3c4d5e6f70}", false),
    ])
    func uuidFormat(text: String, valid: Bool) {
        #expect(Formats.isUUID(text) == valid)
        #expect(EntityID(text)?.text == (valid ? text.lowercased() : nil))
    }

    @Test(arguments: [
        ("", true), ("YQ==", true), ("YWI=", true), ("YWJj", true), ("YQ=", false), ("Y===", false),
        ("YQ==YQ==", false), ("a b=", false),
    ])
    func base64Format(text: String, valid: Bool) {
        #expect(Formats.isBase64(text) == valid)
    }
}
