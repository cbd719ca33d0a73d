import CollabCore
import Foundation
import RESTGateway
import Testing
import WireProtocol

/// A participant flooding a live diagram over a real socket (issue 16, abuse limits): it is told
/// it is rate-limited, then closed with 1008, while another participant on the same diagram keeps
/// receiving updates and can still edit.
@Suite struct FloodEndToEndTests {
    static let flooder = "flood@test.tmi"
    static let bob = "bob@test.tmi"

    @Test func aFloodingParticipantIsWarnedThenClosedWhileOthersGoOn() async throws {
        let server = try await LiveServer.start()
        defer { Task { await server.stop() } }
        let auth: JSONValue = [["subject": .string(Self.bob), "role": "writer"]]
        let (tm, d) = try await server.makeDiagram(as: Self.flooder, model: "Flood", authorization: auth)
        let f = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.flooder)
        _ = try await f.next("diagram_state_sync")
        let b = try await DiagramClient.connect(port: server.port, model: tm, diagram: d, email: Self.bob)
        _ = try await b.next("diagram_state_sync")

        let n = UUIDText.random()
        let node: JSONValue = [
            "id": .string(n), "shape": "process", "x": 0, "y": 0, "width": 80, "height": 40,
        ]
        let add = try f.operate(base: 0, [["id": .string(n), "operation": "add", "data": node]])
        _ = try await b.next("diagram_operation") { $0["operation_id"] == .string(add) }

        // Far past the burst (200) and the tolerance (200) of the default limit (100/s), built
        // first and then written back to back: moves of the node and cursor positions. (The limit
        // is a rate, so the flood must outpace it; 4,000 messages do even on a loaded machine.)
        var flood: [JSONValue] = []
        for i in 0..<4_000 {
            if i % 4 == 0 {
                var moved = node
                moved["x"] = .number(Double(i))
                flood.append([
                    "message_type": "diagram_operation", "operation_id": .string(UUIDText.random()),
                    "operation": [
                        "type": "patch", "cells": [["id": .string(n), "operation": "update", "data": moved]],
                    ],
                ])
            } else {
                flood.append([
                    "message_type": "presenter_cursor", "cursor_position": ["x": .number(Double(i)), "y": 1],
                ])
            }
        }
        for message in flood {
            // The server closing us mid-flood is what is being tested: stop sending then.
            do { try f.send(message) } catch { break }
        }

        // The flooder is warned first, then cut off with the flood code, then closed with 1008.
        // (The cursor updates also meet the presenter-cursor limit, which warns on its own.)
        let warning = try await f.next("error") { $0["code"] == "message_rate_exceeded" }
        #expect(warning["error"] == "rate_limited")
        let last = try await f.next("error") { $0["code"] == "message_flood" }
        #expect(last["error"] == "rate_limited")
        let closed = try await f.closeInfo()
        #expect(closed.code == .policyViolation)
        #expect(closed.code.rawValue == 1008)

        // Bob received the flooder's admitted moves and still gets updates: he sees the flooder
        // leave, and his own edit is sequenced, acknowledged and readable over REST.
        _ = try await b.next("participant_left")
        var kept = node
        kept["x"] = -1
        let mine = try b.operate(base: nil, [["id": .string(n), "operation": "update", "data": kept]])
        let ack = try await b.next("diagram_operation") { $0["operation_id"] == .string(mine) }
        let revision = try #require(ack["update_vector"]?.doubleValue)
        #expect(revision > 1, "some of the flooder's operations were admitted before the limit")
        let seen = try await server.call("GET", "/threat_models/\(tm)/diagrams/\(d)", as: Self.bob)
        #expect(seen.json["update_vector"]?.doubleValue == revision)
        try await b.closeAndWait()
    }
}
