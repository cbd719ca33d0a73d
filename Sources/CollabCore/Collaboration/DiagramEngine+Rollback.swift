/// Taking accepted operations back when they could not be stored (issue 16, a full disk).
///
/// The session applies an operation before it is durable, and holds its broadcast until it is.
/// When storage refuses it, the operation (and every one applied after it, which the store also
/// took back) must vanish from the engine too, or the live diagram and the stored one would part.
/// The log already holds each change's pre-image, so this needs no copy of the state: the
/// entries newer than the durable revision are undone newest first, dropped from the log, and
/// their `operation_id`s forgotten (resending one applies it afresh). Undo stacks are left alone:
/// selective undo restores only what is still as its user left it (`DiagramEngine+History`), so
/// an entry of a taken-back operation finds nothing to restore and is skipped.
extension DiagramEngine {
    /// Undoes every operation after `revision` and returns their log entries, oldest first; nil
    /// (and nothing changed) when the log no longer reaches back to `revision`.
    public mutating func rollBack(to revision: Int64) -> [LogEntry]? {
        guard revision <= state.revision else { return nil }
        guard revision < state.revision else { return [] }
        guard revision >= log.floor, log.entry(revision: revision + 1) != nil else { return nil }
        let undone = log.entries(after: revision)
        for entry in undone.reversed() {
            for change in entry.changes.reversed() where change.before != change.after {
                if let before = change.before {
                    state.restore(before, id: change.id)
                } else {
                    state.remove(id: change.id)
                }
            }
            applied.forget(entry.operationID)
        }
        state.revision = revision
        log.dropEntries(after: revision)
        return undone
    }
}

extension OperationLog {
    /// Drops the entries newer than `revision` (a rollback); `floor` is unchanged.
    mutating func dropEntries(after revision: Int64) {
        ring = entries(after: floor - 1).filter { $0.revision <= revision }
        head = 0
    }
}

extension AppliedOperationIDs {
    /// Forgets an id whose operation was taken back. Its slot in the FIFO stays until it is
    /// reused; if the id is recorded again meanwhile, that slot's eviction forgets it early,
    /// which only shortens its de-duplication window.
    mutating func forget(_ id: String) { applied[id] = nil }
}
