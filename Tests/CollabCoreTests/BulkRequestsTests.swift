import Testing

@testable import CollabCore

@Suite struct BulkRequestsTests {
    @Test func bulkBodiesAreNonEmptyBoundedArrays() throws {
        #expect(try BulkRequests.items([1, 2]).count == 2)
        #expect(try BulkRequests.items(.array(Array(repeating: 1, count: 20))).count == 20)
        #expect(throws: ValidationError("", .tooManyItems, "must hold at most 20 items (got 21)")) {
            try BulkRequests.items(.array(Array(repeating: 1, count: 21)))
        }
        #expect(throws: ValidationError("", .tooShort, "must hold at least one item")) {
            try BulkRequests.items([])
        }
        #expect(throws: ValidationError("", .wrongType, "must be a JSON array")) {
            try BulkRequests.items(["a": 1])
        }
    }

    @Test func bulkItemsAreParsedWithTheirIndex() throws {
        let items = try BulkRequests.items([Fixtures.threat, ["name": "x"]])
        #expect(throws: ValidationError("/1/severity", .required, "is required")) {
            for (i, item) in items.enumerated() {
                _ = try ThreatInput.parse(item, mode: .create, pointer: "/\(i)")
            }
        }
        #expect(throws: ValidationError("/0/id", .required, "is required")) {
            try BulkRequests.requiredID(of: Fixtures.threat, at: 0)
        }
        #expect(throws: ValidationError("/2/id", .format, "must be a UUID")) {
            try BulkRequests.requiredID(of: ["id": "x"], at: 2)
        }
    }

    @Test func batchPatchBody() throws {
        let a = EntityID.random()
        let b = EntityID.random()
        let body: JSONValue = [
            "patches": [
                ["threat_id": a.json, "operations": [["op": "replace", "path": "/name", "value": "n"]]],
                ["threat_id": .string(b.text.uppercased()), "operations": []],
            ]
        ]
        let parsed = try BulkRequests.batchPatch(body)
        #expect(parsed.map(\.threatID) == [a, b])
        #expect(parsed[0].patch.operations == [.replace(path: try JSONPointer("/name"), value: "n")])

        var bad = body
        bad["patches"] = [["threat_id": a.json, "operations": [["op": "replace", "path": "/name"]]]]
        do throws(ValidationError) {
            _ = try BulkRequests.batchPatch(bad)
            Issue.record("accepted")
        } catch {
            #expect(error.field == "/patches/0/operations/0")
        }
        let dup: JSONValue = [
            "patches": [["threat_id": a.json, "operations": []], ["threat_id": a.json, "operations": []]]
        ]
        #expect(throws: ValidationError.self) { try BulkRequests.batchPatch(dup) }
        let many: JSONValue = [
            "patches": .array((0..<11).map { _ in ["threat_id": EntityID.random().json, "operations": []] })
        ]
        #expect(throws: ValidationError("/patches", .tooManyItems, "must have at most 10 items")) {
            try BulkRequests.batchPatch(many)
        }
    }

    @Test func batchDeleteIDs() throws {
        let ids = (0..<3).map { _ in EntityID.random() }
        #expect(try BulkRequests.threatIDs(ids.map(\.text).joined(separator: ",")) == ids)
        #expect(throws: ValidationError.self) { try BulkRequests.threatIDs("") }
        #expect(throws: ValidationError.self) { try BulkRequests.threatIDs(ids[0].text + ",") }
        #expect(throws: ValidationError.self) { try BulkRequests.threatIDs("x") }
        let many = (0..<21).map { _ in EntityID.random().text }.joined(separator: ",")
        #expect(throws: ValidationError.self) { try BulkRequests.threatIDs(many) }
    }
}
