/// Why a client's WebSocket message could not be decoded. The session answers each with an `error`
/// message (or `operation_rejected` when an `operation_id` could be read), never by closing.
public enum CollabMessageError: Error, Sendable, Equatable {
    /// Not JSON, or not a JSON object.
    case notJSON(String)
    /// No `message_type`, or one the catalogue does not let a client send.
    case unknownMessageType(String)
    /// A field is missing or has the wrong form.
    case invalidField(String, String)
    /// `operation.type` other than `patch`, or a cell `operation` other than add/update/remove.
    case invalidOperationType(String)
    /// `operation.cells` is empty (the catalogue's `minItems: 1`).
    case emptyOperation

    /// A one-line description for the `message` field of the error sent back.
    public var description: String {
        switch self {
        case .notJSON(let why): "message is not a JSON object: \(why)"
        case .unknownMessageType(let t): "unsupported message_type '\(t)'"
        case .invalidField(let f, let why): "field '\(f)' \(why)"
        case .invalidOperationType(let t): "unknown operation type '\(t)'"
        case .emptyOperation: "operation contains no cell operations"
        }
    }
}
