import CollabCore

@testable import LoadTestKit

/// A deliberately simple stand-in for the collaboration server's sequencer, enough to exercise the
/// client algorithm and the runner: whole-cell last-writer-wins, atomic messages, updates of a
/// missing cell and edges to a missing node rejected, a revision bumped per accepted message, and
/// every broadcast carrying the cell as the server stores it (with a `visible` flag the clients
/// never send, so a client that kept its own copy instead of the server's would diverge).
struct InMemorySequencer {
    enum Reply {
        case broadcast(JSONValue)
        case toSender(JSONValue)
        case none
    }

    var cells: [String: JSONValue] = [:]
    var order: [String] = []
    var vector = 0
    var applied: Set<String> = []
    var rejections = 0

    /// The state as REST would return it, in insertion order.
    var restCells: [JSONValue] { order.compactMap { cells[$0] } }

    mutating func receive(_ message: JSONValue) -> Reply {
        switch message["message_type"]?.stringValue {
        case "diagram_operation":
            return operation(message)
        case "undo_request":
            return .toSender([
                "message_type": "history_operation", "operation_type": "undo",
                "message": "no_operations_to_undo",
            ])
        default:
            return .none
        }
    }

    mutating func operation(_ message: JSONValue) -> Reply {
        let operationID = message["operation_id"]?.stringValue ?? ""
        guard !applied.contains(operationID) else { return .none }
        var next = cells
        var nextOrder = order
        var out: [JSONValue] = []
        for raw in message["operation"]?["cells"]?.arrayValue ?? [] {
            guard let op = CellChange(json: raw) else { return reject(operationID, "validation_failed") }
            switch op.kind {
            case .remove:
                next[op.id] = nil
                nextOrder.removeAll { $0 == op.id }
                out.append(["id": .string(op.id), "operation": "remove"])
            case .add, .update:
                if op.kind == .update && next[op.id] == nil {
                    return reject(operationID, "conflict_detected")
                }
                guard var data = op.data else { return reject(operationID, "validation_failed") }
                if data["shape"] == nil, case .object(var existing)? = next[op.id],
                    let partial = data.objectValue
                {
                    for (k, v) in partial { existing[k] = v }
                    data = .object(existing)
                }
                if data["shape"]?.stringValue == "edge" {
                    for end in ["source", "target"] {
                        guard let node = data[end]?["cell"]?.stringValue, next[node] != nil else {
                            return reject(operationID, "validation_failed")
                        }
                    }
                }
                data["visible"] = true
                if next[op.id] == nil { nextOrder.append(op.id) }
                next[op.id] = data
                out.append(["id": .string(op.id), "operation": .string(op.kind.rawValue), "data": data])
            }
        }
        cells = next
        order = nextOrder
        vector += 1
        applied.insert(operationID)
        var broadcast = message
        broadcast["operation"] = ["type": "patch", "cells": .array(out)]
        broadcast["update_vector"] = .number(Double(vector))
        broadcast["sequence_number"] = .number(Double(vector))
        return .broadcast(broadcast)
    }

    mutating func reject(_ id: String, _ reason: String) -> Reply {
        rejections += 1
        return .toSender([
            "message_type": "operation_rejected", "operation_id": .string(id), "reason": .string(reason),
            "message": "rejected", "requires_resync": false, "timestamp": "2026-01-01T00:00:00Z",
        ])
    }

    var stateSync: JSONValue {
        [
            "message_type": "diagram_state_sync", "diagram_id": "d", "cells": .array(restCells),
            "update_vector": .number(Double(vector)),
        ]
    }
}
