/// The catalogue's `diagram_operation` in both directions (DESIGN §6 wire form).
///
/// A client sends `operation_id`, `initiating_user`, an optional `base_vector` (the last
/// `update_vector` it applied; absent means "current") and `operation: {type: "patch", cells}`.
/// The server sends the same message to every participant with `sequence_number` and
/// `update_vector` added and each cell's `data` being the whole cell as it now stands.
public struct DiagramOperationMessage: Sendable, Equatable {
    public var operationID: String
    /// Absent in a client message from an older client (older clients send none).
    public var initiatingUser: UserClaim?
    public var baseVector: Int64?
    public var sequenceNumber: Int64?
    public var updateVector: Int64?
    public var cells: [CellOperation]

    public init(
        operationID: String, initiatingUser: UserClaim? = nil, baseVector: Int64? = nil,
        sequenceNumber: Int64? = nil, updateVector: Int64? = nil, cells: [CellOperation]
    ) {
        self.operationID = operationID
        self.initiatingUser = initiatingUser
        self.baseVector = baseVector
        self.sequenceNumber = sequenceNumber
        self.updateVector = updateVector
        self.cells = cells
    }

    public static let messageType = "diagram_operation"

    /// Decodes the message object (its `message_type` has already been read by the caller).
    public init(json: JSONValue) throws(CollabMessageError) {
        guard case .object(let o) = json else { throw .notJSON("not an object") }
        guard let opID = o["operation_id"]?.stringValue, !opID.isEmpty else {
            throw .invalidField("operation_id", "must be a non-empty string")
        }
        operationID = opID
        if let u = o["initiating_user"], !u.isNull {
            initiatingUser = try UserClaim(json: u, field: "initiating_user")
        }
        baseVector = try Self.integer(o["base_vector"], field: "base_vector")
        sequenceNumber = try Self.integer(o["sequence_number"], field: "sequence_number")
        updateVector = try Self.integer(o["update_vector"], field: "update_vector")
        guard case .object(let op)? = o["operation"] else {
            throw .invalidField("operation", "must be an object")
        }
        guard let type = op["type"]?.stringValue else {
            throw .invalidField("operation.type", "must be \"patch\"")
        }
        guard type == "patch" else { throw .invalidOperationType(type) }
        guard case .array(let list)? = op["cells"] else {
            throw .invalidField("operation.cells", "must be an array")
        }
        guard !list.isEmpty else { throw .emptyOperation }
        var cells: [CellOperation] = []
        cells.reserveCapacity(list.count)
        for (i, entry) in list.enumerated() { cells.append(try CellOperation(json: entry, at: i)) }
        self.cells = cells
    }

    static func integer(_ v: JSONValue?, field: String) throws(CollabMessageError) -> Int64? {
        guard let v, !v.isNull else { return nil }
        guard let d = v.doubleValue, d == d.rounded(), d >= 0, d < 9_007_199_254_740_992 else {
            throw .invalidField(field, "must be a non-negative integer")
        }
        return Int64(d)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "message_type": .string(Self.messageType),
            "operation_id": .string(operationID),
            "operation": .object(["type": "patch", "cells": .array(cells.map(\.json))]),
        ]
        if let initiatingUser {
            var u: [String: JSONValue] = [:]
            if let v = initiatingUser.userID { u["user_id"] = .string(v) }
            if let v = initiatingUser.email { u["email"] = .string(v) }
            if let v = initiatingUser.displayName { u["displayName"] = .string(v) }
            o["initiating_user"] = .object(u)
        }
        if let baseVector { o["base_vector"] = .number(Double(baseVector)) }
        if let sequenceNumber { o["sequence_number"] = .number(Double(sequenceNumber)) }
        if let updateVector { o["update_vector"] = .number(Double(updateVector)) }
        return .object(o)
    }

    public func encoded() -> [UInt8] { json.serialized() }
}
