/// Permission of a participant in a session (catalogue `participants_update.permissions`).
public enum CollabRole: String, Sendable, Equatable, Comparable {
    case reader, writer

    public static func < (a: CollabRole, b: CollabRole) -> Bool { a == .reader && b == .writer }
}

/// One row of `participants_update`.
public struct ParticipantSummary: Sendable, Equatable {
    public var user: CollabUser
    public var role: CollabRole
    public var lastActivity: String

    public init(user: CollabUser, role: CollabRole, lastActivity: String) {
        self.user = user
        self.role = role
        self.lastActivity = lastActivity
    }
}

/// Every message the server sends on the diagram WebSocket (catalogue operation
/// `receiveDiagramEvents`), with the fields the catalogue requires. Encoded once per broadcast.
/// Timestamps are passed in already formatted (`Timestamp.rfc3339`), keeping this pure.
public enum ServerMessage: Sendable, Equatable {
    case diagramOperation(DiagramOperationMessage)
    case operationRejected(operationID: String, rejection: OperationRejection, timestamp: String)
    case stateCorrection(updateVector: Int64)
    case diagramStateSync(diagramID: String, updateVector: Int64, cells: [JSONValue])
    case authorizationDenied(operationID: String, reason: String)
    case presenterDenied(currentPresenter: CollabUser)
    case currentPresenter(CollabUser)
    case presenterCursor(x: Double, y: Double)
    case presenterSelection(cells: [String])
    case resyncResponse(diagramID: String, threatModelID: String)
    case historyOperation(direction: DiagramEngine.HistoryDirection, message: String)
    case participantJoined(CollabUser, timestamp: String)
    case participantLeft(CollabUser, timestamp: String)
    case participantsUpdate([ParticipantSummary], host: String, currentPresenter: String)
    case error(error: String, message: String, code: String?, timestamp: String)
    /// Console observers only (docs/console.md): one participant's current selection. Participants
    /// still see only the presenter's (`presenter_selection`), as the catalogue says.
    case participantSelection(CollabUser, cells: [String])

    public var json: JSONValue {
        switch self {
        case .diagramOperation(let m): return m.json
        case .operationRejected(let id, let r, let ts):
            var o: [String: JSONValue] = [
                "message_type": "operation_rejected", "operation_id": .string(id),
                "reason": .string(r.reason.rawValue), "message": .string(r.message),
                "requires_resync": .bool(r.requiresResync), "timestamp": .string(ts),
            ]
            if !r.affectedCells.isEmpty { o["affected_cells"] = .array(r.affectedCells.map { .string($0) }) }
            return .object(o)
        case .stateCorrection(let v):
            return ["message_type": "state_correction", "update_vector": .number(Double(v))]
        case .diagramStateSync(let d, let v, let cells):
            return [
                "message_type": "diagram_state_sync", "diagram_id": .string(d),
                "update_vector": .number(Double(v)),
                "cells": .array(cells),
            ]
        case .authorizationDenied(let id, let reason):
            return [
                "message_type": "authorization_denied", "original_operation_id": .string(id),
                "reason": .string(reason),
            ]
        case .presenterDenied(let u):
            return ["message_type": "presenter_denied", "current_presenter": u.json]
        case .currentPresenter(let u):
            return ["message_type": "current_presenter", "current_presenter": u.json]
        case .presenterCursor(let x, let y):
            return [
                "message_type": "presenter_cursor", "cursor_position": ["x": .number(x), "y": .number(y)],
            ]
        case .presenterSelection(let cells):
            return [
                "message_type": "presenter_selection", "selected_cells": .array(cells.map { .string($0) }),
            ]
        case .resyncResponse(let d, let t):
            return [
                "message_type": "resync_response", "method": "rest_api", "diagram_id": .string(d),
                "threat_model_id": .string(t),
            ]
        case .historyOperation(let direction, let message):
            return [
                "message_type": "history_operation", "operation_type": .string(direction.rawValue),
                "message": .string(message),
            ]
        case .participantJoined(let u, let ts):
            return ["message_type": "participant_joined", "joined_user": u.json, "timestamp": .string(ts)]
        case .participantLeft(let u, let ts):
            return ["message_type": "participant_left", "departed_user": u.json, "timestamp": .string(ts)]
        case .participantsUpdate(let list, let host, let presenter):
            let rows: [JSONValue] = list.map {
                [
                    "user": $0.user.participantJSON, "permissions": .string($0.role.rawValue),
                    "last_activity": .string($0.lastActivity),
                ]
            }
            return [
                "message_type": "participants_update", "participants": .array(rows), "host": .string(host),
                "current_presenter": .string(presenter),
            ]
        case .error(let error, let message, let code, let ts):
            var o: [String: JSONValue] = [
                "message_type": "error", "error": .string(error), "message": .string(message),
                "timestamp": .string(ts),
            ]
            if let code { o["code"] = .string(code) }
            return .object(o)
        case .participantSelection(let u, let cells):
            return [
                "message_type": "participant_selection", "user": u.participantJSON,
                "selected_cells": .array(cells.map { .string($0) }),
            ]
        }
    }

    public func encoded() -> [UInt8] { json.serialized() }
}
