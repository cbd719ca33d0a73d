import CollabCore

extension DiagramState {
    /// What a client does with a `diagram_operation` from the server (DESIGN §6): replace or remove
    /// each named cell and take the message's revision. Shared by the in-memory and the WebSocket
    /// convergence clients of the session and end-to-end tests.
    public mutating func applyBroadcast(_ m: DiagramOperationMessage) {
        for op in m.cells {
            if op.kind == .remove {
                _ = remove(id: op.id)
            } else if let data = op.data {
                upsert(data, id: op.id)
            }
        }
        if let v = m.updateVector { revision = v }
    }
}
