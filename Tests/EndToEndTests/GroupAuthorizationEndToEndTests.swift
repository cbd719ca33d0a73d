import CollabCore
import Foundation
import RESTGateway
import Testing
import WireProtocol

/// Group authorization against the whole server with real logins through the `test` provider
/// (issue 12): a model shared with `everyone` lets hundreds of distinct users edit one diagram
/// together, and a group entry follows the IdP groups of each login.
@Suite struct GroupAuthorizationEndToEndTests {
    /// Logs `hint` in through `/oauth2/authorize?idp=test`, with `groups=` when given.
    static func login(_ server: LiveServer, _ hint: String, groups: String? = nil) async throws -> String {
        let identity = IdentityClient(server: server)
        let url = identity.authorizeURL(hint: hint, extra: groups.map { [("groups", $0)] } ?? [])
        let (_, last) = try await Browser.navigate(url)
        return try Tokens(last.json).access
    }

    static func call(
        _ server: LiveServer, _ method: String, _ path: String, token: String, body: JSONValue? = nil
    )
        async throws -> Reply
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(token)")])
        if body != nil { headers.add("Content-Type", "application/json") }
        return try await Browser.send(
            method, server.baseURL + path, headers: headers, body: body?.serialized() ?? [])
    }

    /// A threat model with one diagram, owned by `owner`, shared by `authorization`.
    static func model(_ server: LiveServer, owner: String, authorization: JSONValue) async throws -> (
        String, String
    ) {
        let created = try await call(
            server, "POST", "/threat_models", token: owner,
            body: ["name": "Shared", "authorization": authorization])
        #expect(created.status == 201)
        #expect(created.json["authorization"] == authorization)
        let tm = try #require(created.json["id"]?.stringValue)
        let diagram = try await call(
            server, "POST", "/threat_models/\(tm)/diagrams", token: owner,
            body: ["name": "DFD", "type": "DFD-1.0.0"])
        return (tm, try #require(diagram.json["id"]?.stringValue))
    }

    /// Runs `body` for each of `count` indices, at most `width` at a time.
    static func bounded<T: Sendable>(
        _ count: Int, width: Int, _ body: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            while next < min(width, count) {
                let i = next
                group.addTask { (i, try await body(i)) }
                next += 1
            }
            while let (i, value) = try await group.next() {
                results[i] = value
                if next < count {
                    let j = next
                    group.addTask { (j, try await body(j)) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    @Test func threeHundredUsersOfEveryoneEditOneDiagramAndConverge() async throws {
        let users = 300
        let server = try await LiveServer.startWithIdentity()
        defer { Task { await server.stop() } }
        let owner = try await Self.login(server, "owner")
        let (tm, d) = try await Self.model(
            server, owner: owner,
            authorization: [
                ["principal_type": "group", "provider": "*", "provider_id": "everyone", "role": "writer"]
            ])

        let tokens = try await Self.bounded(users, width: 16) { i in
            try await Self.login(server, "editor\(i)")
        }
        #expect(Set(tokens).count == users)
        let clients = try await Self.bounded(users, width: 32) { i in
            let c = try await DiagramClient.connect(
                port: server.port, model: tm, diagram: d, email: "editor\(i)@test.tmi", token: tokens[i])
            _ = try await c.next("diagram_state_sync")
            return c
        }

        // Each editor adds one node; nobody waits for anybody.
        let ids = (0..<users).map { _ in UUIDText.random() }
        for (i, c) in clients.enumerated() {
            let node: JSONValue = [
                "id": .string(ids[i]), "shape": "process", "x": .number(Double(i)), "y": 10, "width": 80,
                "height": 40,
            ]
            try c.send([
                "message_type": "diagram_operation", "operation_id": .string(UUIDText.random()),
                "initiating_user": ["email": .string("editor\(i)@test.tmi")],
                "operation": [
                    "type": "patch", "cells": [["id": .string(ids[i]), "operation": "add", "data": node]],
                ],
            ])
        }

        // Every client applies every broadcast in order until the last revision: each ends with
        // the same cells, which are the server's.
        let finals = try await Self.bounded(users, width: users) { i in
            var cells: [String: JSONValue] = [:]
            var revision: Int64 = 0
            while revision < Int64(users) {
                let m = try await clients[i].nextMessage(seconds: 60)
                switch m["message_type"]?.stringValue {
                case "diagram_operation":
                    for op in m["operation"]?["cells"]?.arrayValue ?? [] {
                        guard let id = op["id"]?.stringValue else { continue }
                        cells[id] = op["operation"] == "remove" ? nil : op["data"]
                    }
                    revision = Int64(m["update_vector"]?.doubleValue ?? 0)
                case "operation_rejected", "error":
                    throw TimedOut(what: "editor\(i) got \(m)")
                default: continue
                }
            }
            return cells
        }
        let stored = try await Self.call(server, "GET", "/threat_models/\(tm)/diagrams/\(d)", token: owner)
        var expected: [String: JSONValue] = [:]
        for cell in stored.json["cells"]?.arrayValue ?? [] { expected[cell["id"]?.stringValue ?? ""] = cell }
        #expect(expected.count == users)
        #expect(Set(expected.keys) == Set(ids))
        for (i, cells) in finals.enumerated() where cells != expected {
            Issue.record("editor\(i) diverged: \(cells.count) cells")
        }
        for c in clients { c.close() }
    }

    @Test func aGroupEntryFollowsTheGroupsOfEachLogin() async throws {
        let server = try await LiveServer.startWithIdentity()
        defer { Task { await server.stop() } }
        let owner = try await Self.login(server, "owner")
        let (tm, d) = try await Self.model(
            server, owner: owner,
            authorization: [
                ["principal_type": "group", "provider": "test", "provider_id": "auditors", "role": "reader"]
            ])

        let inGroup = try await Self.login(server, "bob", groups: "auditors,staff")
        #expect(try await Self.call(server, "GET", "/threat_models/\(tm)", token: inGroup).status == 200)
        #expect(
            try await Self.call(server, "GET", "/threat_models/\(tm)/diagrams/\(d)", token: inGroup).status
                == 200)
        // A reader: may open the diagram's session, may not change the model.
        let c = try await DiagramClient.connect(
            port: server.port, model: tm, diagram: d, email: "bob@test.tmi", token: inGroup)
        _ = try await c.next("diagram_state_sync")
        c.close()
        #expect(
            try await Self.call(
                server, "POST", "/threat_models/\(tm)/threats", token: inGroup, body: ["name": "T"]
            )
            .status == 403)

        // Logged in again, no longer in the group: no access with the new token.
        let outOfGroup = try await Self.login(server, "bob", groups: "staff")
        #expect(try await Self.call(server, "GET", "/threat_models/\(tm)", token: outOfGroup).status == 403)
        let noGroups = try await Self.login(server, "bob")
        #expect(try await Self.call(server, "GET", "/threat_models/\(tm)", token: noGroups).status == 403)
        let list = try await Self.call(server, "GET", "/threat_models", token: noGroups)
        #expect(list.json["data"]?.arrayValue?.isEmpty == true)
    }
}
