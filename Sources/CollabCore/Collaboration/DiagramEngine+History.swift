/// Per-user selective undo and redo (DESIGN §6).
///
/// Each user's accepted operations are pushed on that user's undo stack as their cell changes
/// (pre- and post-images). Undo takes the top entry and restores, property path by property path,
/// only what is still as that user left it: a path whose current value differs from the entry's
/// post-image was changed by someone since, and is skipped, so undo never reverts another user's
/// later change. Likewise an added cell is removed only if it is untouched and nobody attached an
/// edge to it, and a removed cell is re-added only if its id is free (edges only when their
/// endpoints exist). The result is an ordinary operation: a new revision, broadcast to everyone.
/// An entry with nothing left to restore is discarded and the next one is tried. Redo is the undo
/// of an undo; a new operation by the user clears that user's redo stack.
extension DiagramEngine {
    public enum HistoryDirection: String, Sendable {
        case undo, redo
    }

    public enum HistoryOutcome: Sendable, Equatable {
        case applied(AcceptedOperation)
        /// Nothing to undo (or redo): the catalogue's `no_operations_to_undo`/`_redo`.
        case nothingToDo
    }

    /// Undoes (or redoes) `user`'s most recent operation that still has an effect, as a new
    /// operation with id `operationID` (chosen by the caller, so the engine stays deterministic).
    public mutating func history(
        _ direction: HistoryDirection, user: CollabUser, origin: String, operationID: String
    ) -> HistoryOutcome {
        while let entry = popHistory(direction, user: user.userID) {
            let ops = inverse(of: entry)
            if ops.isEmpty { continue }
            let message = DiagramOperationMessage(operationID: operationID, cells: ops)
            let outcome = submit(
                message, user: user, origin: origin, recording: direction == .undo ? .undo : .redo)
            if case .accepted(let accepted) = outcome { return .applied(accepted) }
        }
        return .nothingToDo
    }

    public func canUndo(_ userID: String) -> Bool { !(histories[userID]?.undo.isEmpty ?? true) }
    public func canRedo(_ userID: String) -> Bool { !(histories[userID]?.redo.isEmpty ?? true) }

    mutating func record(_ changes: [CellChange], for userID: String, as recording: Recording) {
        guard undoDepth > 0, !changes.isEmpty else { return }
        // Mutated in place through the dictionary's default subscript: copying the stacks out and
        // back would copy them on every operation.
        switch recording {
        case .newOperation:
            histories[userID, default: UserHistory()].undo.append(changes)
            histories[userID, default: UserHistory()].redo.removeAll()
        case .undo: histories[userID, default: UserHistory()].redo.append(changes)
        case .redo: histories[userID, default: UserHistory()].undo.append(changes)
        }
        // Trim in batches so a full stack is not shifted on every operation.
        if let n = histories[userID]?.undo.count, n > undoDepth * 2 {
            histories[userID]?.undo.removeFirst(n - undoDepth)
        }
        if let n = histories[userID]?.redo.count, n > undoDepth * 2 {
            histories[userID]?.redo.removeFirst(n - undoDepth)
        }
    }

    private mutating func popHistory(_ direction: HistoryDirection, user: String) -> [CellChange]? {
        switch direction {
        case .undo: histories[user]?.undo.popLast()
        case .redo: histories[user]?.redo.popLast()
        }
    }

    /// The cell operations that restore what `entry` changed and nobody has changed since.
    func inverse(of entry: [CellChange]) -> [CellOperation] {
        var ops: [CellOperation] = []
        var readded: Set<String> = []
        var readdedEdges: [CellOperation] = []
        let entryIDs = Set(entry.map(\.id))
        for change in entry.reversed() {
            let current = state[change.id]
            switch (change.before, change.after) {
            case (nil, let after?):
                let foreignEdges = state.edges(attachedTo: change.id).subtracting(entryIDs)
                if current == after && foreignEdges.isEmpty { ops.append(.remove(change.id)) }
            case (let before?, nil):
                guard current == nil else { continue }
                readded.insert(change.id)
                if EdgeEndpoints.of(before).isEmpty {
                    ops.append(CellOperation(id: change.id, kind: .add, data: before))
                } else {
                    readdedEdges.append(CellOperation(id: change.id, kind: .add, data: before))
                }
            case (let before?, let after?):
                guard var cell = current else { continue }
                let restore = PropertyDelta.changes(from: after, to: before).filter {
                    PropertyDelta.value(at: $0.path, in: cell) == PropertyDelta.value(at: $0.path, in: after)
                }
                PropertyDelta.apply(restore, to: &cell)
                if cell != current { ops.append(CellOperation(id: change.id, kind: .update, data: cell)) }
            case (nil, nil):
                continue
            }
        }
        for op in readdedEdges {
            let ok = EdgeEndpoints.of(op.data ?? .null).allSatisfy {
                state.contains($0) || readded.contains($0)
            }
            if ok { ops.append(op) }
        }
        return ops
    }
}
