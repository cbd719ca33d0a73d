import CollabCore
import SessionActors
import Storage
import Synchronization
import Testing

@testable import RESTGateway

/// A live session whose store refuses its fencing token (another node took the diagram over)
/// stops taking operations and closes its clients with "ownership lost" (the WebSocket outbox
/// sends 1012 Service Restart for it), without acknowledging the refused operation.
@Suite struct SessionFencingTests {
    static let tm = "11111111-1111-4111-8111-111111111111"
    static let dg = "33333333-3333-4333-8333-333333333333"
    static let alice = CollabUser(userID: "alice-id", email: "alice@test.tmi", displayName: "Alice")

    final class Outbox: ParticipantOutbox {
        let box = Mutex<(sent: [SharedMessage], closed: OutboxCloseReason?)>(([], nil))
        func send(_ message: SharedMessage) { box.withLock { $0.sent.append(message) } }
        func close(_ reason: OutboxCloseReason) { box.withLock { $0.closed = $0.closed ?? reason } }
        var closed: OutboxCloseReason? { box.withLock { $0.closed } }
        func types() -> [String] {
            box.withLock { b in
                b.sent.compactMap { (try? JSONValue.parse($0.bytes))?["message_type"]?.stringValue }
            }
        }
        func acknowledged(_ id: String) -> Bool {
            box.withLock { b in
                b.sent.contains {
                    guard let m = try? JSONValue.parse($0.bytes) else { return false }
                    return m["message_type"] == "diagram_operation" && m["operation_id"]?.stringValue == id
                }
            }
        }
    }

    static func operation(_ id: String, cell: String) -> [UInt8] {
        DiagramOperationMessage(
            operationID: id,
            cells: [
                .add(["id": .string(cell), "shape": "process", "x": 0, "y": 0, "width": 80, "height": 40])
            ]
        ).encoded()
    }

    @Test func aRefusedTokenEndsTheSessionAsMovedWithoutAcknowledging() async throws {
        let store = ThreatModelStore()
        try await store.write { _ throws(APIError) in
            (
                (),
                [
                    .putModel(
                        id: Self.tm, fields: ["id": .string(Self.tm), "name": "M", "owner": "alice@test.tmi"]),
                    .putChild(
                        .diagrams, model: Self.tm, id: Self.dg, fields: ["id": .string(Self.dg), "cells": []]),
                ]
            )
        }
        var configuration = SessionConfiguration()
        configuration.cellValidator = .none
        let session = DiagramSession(
            sessionID: "s", threatModelID: Self.tm, diagramID: Self.dg, state: DiagramState(), host: nil,
            configuration: configuration, persistence: StoreSessionPersistence(store: store, fence: 1))
        let outbox = Outbox()
        #expect(
            await session.join(
                ParticipantIdentity(connectionID: "c", user: Self.alice, role: .writer), outbox: outbox)
                == .joined)
        await session.receive(Self.operation("op1", cell: "a"), from: "c")
        #expect(outbox.acknowledged("op1"))
        #expect(store.state.fences[DiagramKey(model: Self.tm, diagram: Self.dg)] == 1)

        // Another node takes the diagram over.
        try await store.write { _ throws(APIError) in
            ((), [.fence(model: Self.tm, diagram: Self.dg, token: 2)])
        }
        await session.receive(Self.operation("op2", cell: "b"), from: "c")
        #expect(!outbox.acknowledged("op2"))
        #expect(outbox.closed == .sessionEnded(.ownershipLost))
        #expect(outbox.types().last == "error")
        #expect(session.isEnded)
        let cells = store.state.models[Self.tm]?.children[.diagrams]?[Self.dg]?.fields["cells"]?.arrayValue
        #expect(cells?.compactMap { $0["id"]?.stringValue } == ["a"])
    }
}
