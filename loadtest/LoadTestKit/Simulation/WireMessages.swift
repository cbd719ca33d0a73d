import CollabCore

/// Who sent an operation, as the catalogue's `User` object carries it.
public struct UserRef: Sendable, Equatable {
    public var userID: String
    public var email: String

    public init(userID: String, email: String) {
        self.userID = userID
        self.email = email
    }

    /// The catalogue `User` as CollabCore's `UserClaim`: `user_id` only when known (an empty one
    /// would name nobody).
    var claim: UserClaim { UserClaim(userID: userID.isEmpty ? nil : userID, email: email) }

    var json: JSONValue {
        userID.isEmpty ? ["email": .string(email)] : ["user_id": .string(userID), "email": .string(email)]
    }

    /// Whether a `User` object from the server names this user (by id, else by email).
    func matches(_ value: JSONValue?) -> Bool {
        guard let value else { return false }
        if let id = value["user_id"]?.stringValue, !id.isEmpty, !userID.isEmpty { return id == userID }
        if let mail = value["email"]?.stringValue { return mail.lowercased() == email.lowercased() }
        return false
    }
}

/// The messages an editor sends (tmi-asyncapi 2025-10-31, plus `base_vector` per DESIGN §6).
public enum EditorMessage: Sendable, Equatable {
    case operation(id: String, baseVector: Int?, cells: [CellChange], user: UserRef)
    case undo(user: UserRef)
    case cursor(x: Double, y: Double)
    case presenterRequest
    case resyncRequest

    public var json: JSONValue {
        switch self {
        case .operation(let id, let baseVector, let cells, let user):
            // The server's own encoder (CollabCore), so the two cannot disagree on the wire form.
            return DiagramOperationMessage(
                operationID: id, initiatingUser: user.claim, baseVector: baseVector.map(Int64.init),
                cells: cells
            ).json
        case .undo(let user):
            return ["message_type": "undo_request", "initiating_user": user.json]
        case .cursor(let x, let y):
            return [
                "message_type": "presenter_cursor", "cursor_position": ["x": .number(x), "y": .number(y)],
            ]
        case .presenterRequest:
            return ["message_type": "presenter_request"]
        case .resyncRequest:
            return ["message_type": "resync_request"]
        }
    }

    public var text: String { json.serializedString() }
}

/// The server messages the load tester acts on; everything else is `.other` (counted, ignored).
public enum SessionMessage: Sendable, Equatable {
    /// A sequenced `diagram_operation` broadcast (to the sender it is the ack).
    case operation(
        operationID: String?, updateVector: Int?, user: JSONValue?, cells: [CellChange])
    case rejected(operationID: String, reason: String)
    /// The session refused a message for who sent it (`authorization_denied`).
    case authorizationDenied(operationID: String?, reason: String)
    case stateSync(cells: [JSONValue], updateVector: Int?)
    case stateCorrection(updateVector: Int?)
    /// Who presents now (`current_presenter`).
    case currentPresenter(JSONValue?)
    case resyncResponse
    case history(operationType: String, message: String)
    case error(code: String, message: String)
    case other(type: String)

    /// Interprets one text frame; nil when it is not a JSON object with a `message_type`.
    public static func parse(_ value: JSONValue) -> SessionMessage? {
        guard let type = value["message_type"]?.stringValue else { return nil }
        let vector = value["update_vector"]?.doubleValue.map { Int($0) }
        switch type {
        case "diagram_operation":
            // Decoded by the server's own type (CollabCore), which checks every cell entry.
            guard let message = try? DiagramOperationMessage(json: value) else { return nil }
            return .operation(
                operationID: message.operationID, updateVector: vector, user: value["initiating_user"],
                cells: message.cells)
        case "operation_rejected":
            // A rejection that asks for a resync (a base older than the session's history, or a
            // cell the client should not have seen) is counted apart from a plain conflict.
            let reason = value["reason"]?.stringValue ?? "unspecified"
            let resync = value["requires_resync"]?.boolValue ?? false
            return .rejected(
                operationID: value["operation_id"]?.stringValue ?? "",
                reason: resync ? reason + "+resync" : reason)
        case "authorization_denied":
            return .authorizationDenied(
                operationID: value["operation_id"]?.stringValue,
                reason: value["reason"]?.stringValue ?? "denied")
        case "diagram_state_sync":
            return .stateSync(cells: value["cells"]?.arrayValue ?? [], updateVector: vector)
        case "state_correction":
            return .stateCorrection(updateVector: vector)
        case "current_presenter":
            return .currentPresenter(value["current_presenter"])
        case "resync_response":
            return .resyncResponse
        case "history_operation":
            return .history(
                operationType: value["operation_type"]?.stringValue ?? "",
                message: value["message"]?.stringValue ?? "")
        case "error":
            return .error(
                code: value["error"]?.stringValue ?? "error", message: value["message"]?.stringValue ?? "")
        default:
            return .other(type: type)
        }
    }

    public static func parse(text: String) -> SessionMessage? {
        guard let value = try? JSONValue.parse(text) else { return nil }
        return parse(value)
    }

    /// Interprets one text frame's UTF-8 bytes (no `String` made on the way).
    public static func parse(bytes: [UInt8]) -> SessionMessage? {
        guard let value = try? JSONValue.parse(bytes) else { return nil }
        return parse(value)
    }
}
