/// Every message the catalogue lets a client send on the diagram WebSocket
/// (`tmi-asyncapi-2025-10-31.yml`, operation `sendDiagramOperation`), decoded and checked for form.
///
/// Whether the sender may send it (role, host, presenter, identity) is the session's decision.
public enum ClientMessage: Sendable, Equatable {
    case diagramOperation(DiagramOperationMessage)
    case presenterRequest
    case changePresenter(initiatingUser: UserClaim?, newPresenter: UserClaim)
    case presenterCursor(x: Double, y: Double)
    case presenterSelection(cells: [String])
    case resyncRequest
    case undoRequest(initiatingUser: UserClaim?)
    case redoRequest(initiatingUser: UserClaim?)
    case removeParticipant(initiatingUser: UserClaim?, removedUser: UserClaim)

    public var messageType: String {
        switch self {
        case .diagramOperation: "diagram_operation"
        case .presenterRequest: "presenter_request"
        case .changePresenter: "change_presenter"
        case .presenterCursor: "presenter_cursor"
        case .presenterSelection: "presenter_selection"
        case .resyncRequest: "resync_request"
        case .undoRequest: "undo_request"
        case .redoRequest: "redo_request"
        case .removeParticipant: "remove_participant"
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(CollabMessageError) -> ClientMessage {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes)
        } catch {
            throw .notJSON("invalid JSON")
        }
        return try decode(json)
    }

    public static func decode(_ json: JSONValue) throws(CollabMessageError) -> ClientMessage {
        guard case .object(let o) = json else { throw .notJSON("not an object") }
        guard let type = o["message_type"]?.stringValue else {
            throw .invalidField("message_type", "must be a string")
        }
        func user(_ field: String) throws(CollabMessageError) -> UserClaim? {
            guard let v = o[field], !v.isNull else { return nil }
            return try UserClaim(json: v, field: field)
        }
        func requiredUser(_ field: String) throws(CollabMessageError) -> UserClaim {
            guard let u = try user(field) else { throw .invalidField(field, "is required") }
            return u
        }
        switch type {
        case "diagram_operation": return .diagramOperation(try DiagramOperationMessage(json: json))
        case "presenter_request": return .presenterRequest
        case "change_presenter":
            return .changePresenter(
                initiatingUser: try user("initiating_user"), newPresenter: try requiredUser("new_presenter"))
        case "presenter_cursor":
            guard let p = o["cursor_position"], let x = p["x"]?.doubleValue, let y = p["y"]?.doubleValue,
                x.isFinite, y.isFinite
            else { throw .invalidField("cursor_position", "must be {x, y} numbers") }
            return .presenterCursor(x: x, y: y)
        case "presenter_selection":
            guard let list = o["selected_cells"]?.arrayValue else {
                throw .invalidField("selected_cells", "must be an array of cell ids")
            }
            var cells: [String] = []
            for item in list {
                guard let id = item.stringValue else {
                    throw .invalidField("selected_cells", "must be an array of cell ids")
                }
                cells.append(id)
            }
            return .presenterSelection(cells: cells)
        case "resync_request": return .resyncRequest
        case "undo_request": return .undoRequest(initiatingUser: try user("initiating_user"))
        case "redo_request": return .redoRequest(initiatingUser: try user("initiating_user"))
        case "remove_participant":
            return .removeParticipant(
                initiatingUser: try user("initiating_user"), removedUser: try requiredUser("removed_user"))
        default: throw .unknownMessageType(type)
        }
    }
}
