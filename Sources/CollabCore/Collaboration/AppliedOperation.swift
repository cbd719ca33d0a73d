/// What de-duplication remembers of one applied operation, in a form a store can keep: when a
/// diagram's session moves to another node (DESIGN §11), the new session is told the operations
/// applied before it, so a client resending an operation whose acknowledgement the failover lost
/// gets that acknowledgement again instead of the operation being applied twice.
public struct AppliedOperation: Sendable, Equatable {
    public struct Cell: Sendable, Equatable {
        public var id: String
        public var kind: CellOperation.Kind
    }

    public var operationID: String
    public var revision: Int64
    public var initiatingUser: UserClaim
    public var cells: [Cell]

    /// From the server's broadcast copy of an accepted operation; nil when it names no user or
    /// revision (never so for a copy the engine made).
    public init?(broadcast m: DiagramOperationMessage) {
        guard let user = m.initiatingUser, user.userID != nil,
            let revision = m.sequenceNumber ?? m.updateVector
        else { return nil }
        operationID = m.operationID
        self.revision = revision
        initiatingUser = user
        cells = m.cells.map { Cell(id: $0.id, kind: $0.kind) }
    }

    public var json: JSONValue {
        var user: [String: JSONValue] = [:]
        if let id = initiatingUser.userID { user["user_id"] = .string(id) }
        if let email = initiatingUser.email { user["email"] = .string(email) }
        if let name = initiatingUser.displayName { user["name"] = .string(name) }
        return [
            "operation_id": .string(operationID), "revision": .number(Double(revision)),
            "user": .object(user),
            "cells": .array(cells.map { [.string($0.id), .string($0.kind.rawValue)] }),
        ]
    }

    public init?(json: JSONValue) {
        guard let id = json["operation_id"]?.stringValue, let revision = json["revision"]?.doubleValue,
            let userID = json["user"]?["user_id"]?.stringValue, let list = json["cells"]?.arrayValue
        else { return nil }
        var cells: [Cell] = []
        for c in list {
            guard let pair = c.arrayValue, pair.count == 2, let cid = pair[0].stringValue,
                let kind = pair[1].stringValue.flatMap(CellOperation.Kind.init(rawValue:))
            else { return nil }
            cells.append(Cell(id: cid, kind: kind))
        }
        operationID = id
        self.revision = Int64(revision)
        initiatingUser = UserClaim(
            userID: userID, email: json["user"]?["email"]?.stringValue,
            displayName: json["user"]?["name"]?.stringValue)
        self.cells = cells
    }
}

extension DiagramEngine {
    /// Remembers operations applied before this engine existed (oldest first), for
    /// de-duplication only: the state already contains them.
    public mutating func remember(_ operations: [AppliedOperation]) {
        for op in operations.sorted(by: { $0.revision < $1.revision }) {
            guard applied.lookup(op.operationID) == nil, let userID = op.initiatingUser.userID else {
                continue
            }
            applied.record(
                op.operationID,
                .init(
                    revision: op.revision, userID: userID, cells: op.cells.map { ($0.id, $0.kind) },
                    initiatingUser: op.initiatingUser))
        }
    }
}
