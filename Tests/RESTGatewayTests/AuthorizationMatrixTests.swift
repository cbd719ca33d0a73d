import CollabCore
import Foundation
import Testing

@testable import RESTGateway

/// Every REST endpoint of the threat-model API × {owner, writer, reader, stranger, no token}
/// with the expected status (DESIGN §5). Each cell runs against a fresh fixture, so destructive
/// calls do not affect the next.
@Suite struct AuthorizationMatrixTests {
    static let owner = AuthenticatedUser.make("owner")
    static let writer = AuthenticatedUser.make("writer")
    static let reader = AuthenticatedUser.make("reader")
    static let stranger = AuthenticatedUser.make("stranger")

    /// Ids of the fixture's entities, substituted into path templates.
    struct Fixture {
        var api: APIHarness
        var ids: [String: String]

        func path(_ template: String) -> String {
            var p = template
            for (k, v) in ids { p = p.replacingOccurrences(of: "{\(k)}", with: v) }
            return p
        }
    }

    static func fixture() async throws -> Fixture {
        let (api, _) = APIHarness.make()
        let auth: JSONValue = [
            ["subject": "writer@test.tmi", "role": "writer"],
            ["subject": "reader@test.tmi", "role": "reader"],
        ]
        let tm = try #require(
            await api.call("POST", "/threat_models", as: owner, body: ["name": "M", "authorization": auth])
                .json["id"]?.stringValue)
        var ids = ["threat_model_id": tm]
        let creates: [(String, String, JSONValue)] = [
            ("threat_id", "threats", ChildRoutesTests.threat),
            ("document_id", "documents", ["name": "Doc", "url": "https://example.com/d"]),
            ("source_id", "sources", ["url": "https://example.com/r.git"]),
            ("diagram_id", "diagrams", ["name": "DFD", "type": "DFD-1.0.0"]),
        ]
        for (param, kind, body) in creates {
            let r = await api.call("POST", "/threat_models/\(tm)/\(kind)", as: owner, body: body)
            let id = try #require(r.json["id"]?.stringValue)
            ids[param] = id
            #expect(
                await api.call(
                    "POST", "/threat_models/\(tm)/\(kind)/\(id)/metadata", as: owner,
                    body: ["key": "k", "value": "v"]
                ).status == 201)
        }
        #expect(
            await api.call(
                "POST", "/threat_models/\(tm)/metadata", as: owner, body: ["key": "k", "value": "v"]
            ).status == 201)
        return Fixture(api: api, ids: ids)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var method: String
        var path: String
        var body: JSONValue?
        /// Expected status for owner, writer, reader, stranger.
        var expected: [Int]
        var testDescription: String { "\(method) \(path)" }
    }

    static let readAll = [200, 200, 200, 403]
    static let write = [200, 200, 403, 403]
    static let create = [201, 201, 403, 403]
    static let delete = [204, 204, 403, 403]
    static let ownerDelete = [204, 403, 403, 403]

    static var rows: [Row] {
        let tm = "/threat_models/{threat_model_id}"
        var rows: [Row] = [
            Row(method: "GET", path: "/threat_models", expected: [200, 200, 200, 200]),
            Row(
                method: "POST", path: "/threat_models", body: ["name": "New"], expected: [201, 201, 201, 201]),
            Row(method: "GET", path: tm, expected: readAll),
            Row(method: "DELETE", path: tm, expected: ownerDelete),
            Row(method: "GET", path: "\(tm)/threats", expected: readAll),
            Row(method: "POST", path: "\(tm)/threats", body: ChildRoutesTests.threat, expected: create),
            Row(method: "GET", path: "\(tm)/threats/{threat_id}", expected: readAll),
            Row(method: "DELETE", path: "\(tm)/threats/{threat_id}", expected: delete),
            Row(
                method: "POST", path: "\(tm)/threats/bulk", body: [ChildRoutesTests.threat], expected: create),
            Row(
                method: "DELETE", path: "\(tm)/threats/batch?threat_ids={threat_id}",
                expected: [200, 200, 403, 403]),
            Row(method: "GET", path: "\(tm)/documents", expected: readAll),
            Row(
                method: "POST", path: "\(tm)/documents", body: ["name": "D2", "url": "https://e.com/x"],
                expected: create),
            Row(method: "GET", path: "\(tm)/documents/{document_id}", expected: readAll),
            Row(
                method: "PUT", path: "\(tm)/documents/{document_id}",
                body: ["name": "D3", "url": "https://e.com/y"], expected: write),
            Row(method: "DELETE", path: "\(tm)/documents/{document_id}", expected: delete),
            Row(
                method: "POST", path: "\(tm)/documents/bulk",
                body: [["name": "D4", "url": "https://e.com/z"]], expected: create),
            Row(method: "GET", path: "\(tm)/sources", expected: readAll),
            Row(method: "POST", path: "\(tm)/sources", body: ["url": "https://e.com/r"], expected: create),
            Row(method: "GET", path: "\(tm)/sources/{source_id}", expected: readAll),
            Row(
                method: "PUT", path: "\(tm)/sources/{source_id}", body: ["url": "https://e.com/r2"],
                expected: write),
            Row(method: "DELETE", path: "\(tm)/sources/{source_id}", expected: delete),
            Row(
                method: "POST", path: "\(tm)/sources/bulk", body: [["url": "https://e.com/r3"]],
                expected: create),
            Row(method: "GET", path: "\(tm)/diagrams", expected: readAll),
            Row(
                method: "POST", path: "\(tm)/diagrams", body: ["name": "G2", "type": "DFD-1.0.0"],
                expected: create),
            Row(method: "GET", path: "\(tm)/diagrams/{diagram_id}", expected: readAll),
            Row(
                method: "PUT", path: "\(tm)/diagrams/{diagram_id}",
                body: ["name": "G3", "type": "DFD-1.0.0", "cells": []], expected: write),
            Row(method: "DELETE", path: "\(tm)/diagrams/{diagram_id}", expected: ownerDelete),
        ]
        let rename: JSONValue = [["op": "replace", "path": "/name", "value": "P"]]
        rows += [
            Row(
                method: "PUT", path: "\(tm)/threats/{threat_id}", body: ChildRoutesTests.threat,
                expected: write),
            Row(method: "PUT", path: tm, body: ["name": "Renamed"], expected: write),
            Row(method: "PATCH", path: tm, body: rename, expected: write),
            Row(method: "PATCH", path: "\(tm)/threats/{threat_id}", body: rename, expected: write),
            Row(method: "PATCH", path: "\(tm)/diagrams/{diagram_id}", body: rename, expected: write),
            Row(
                method: "POST", path: "\(tm)/threats/batch/patch",
                body: ["patches": [["threat_id": "{threat_id}", "operations": rename]]], expected: write),
        ]
        for base in [
            tm, "\(tm)/threats/{threat_id}", "\(tm)/documents/{document_id}", "\(tm)/sources/{source_id}",
            "\(tm)/diagrams/{diagram_id}",
        ] {
            rows += [
                Row(method: "GET", path: "\(base)/metadata", expected: readAll),
                Row(
                    method: "POST", path: "\(base)/metadata", body: ["key": "n", "value": "1"],
                    expected: create),
                Row(
                    method: "POST", path: "\(base)/metadata/bulk", body: [["key": "n", "value": "1"]],
                    expected: create),
                Row(method: "GET", path: "\(base)/metadata/k", expected: readAll),
                Row(method: "PUT", path: "\(base)/metadata/k", body: ["value": "2"], expected: write),
                Row(method: "DELETE", path: "\(base)/metadata/k", expected: delete),
            ]
        }
        return rows
    }

    @Test(arguments: rows)
    func statusPerRole(_ row: Row) async throws {
        let users: [AuthenticatedUser?] = [Self.owner, Self.writer, Self.reader, Self.stranger, nil]
        for (i, user) in users.enumerated() {
            let f = try await Self.fixture()
            let body = row.body.map { try? JSONValue.parse(f.path($0.serializedString())) } ?? nil
            let reply = await f.api.call(row.method, f.path(row.path), as: user, body: body)
            let expected = i < 4 ? row.expected[i] : 401
            #expect(reply.status == expected, "\(user?.email ?? "no token") → \(reply.status) \(reply.json)")
        }
    }
}
