/// The transform and apply step (DESIGN §6), in the order the rules are checked:
///
/// 1. A resent `operation_id` is not applied twice: the sender gets its acknowledgement again.
/// 2. A `base_vector` older than the log (or newer than the diagram) needs a full state sync.
/// 3. Each cell op is applied in order to a scratch overlay, so the message is atomic:
///    - `remove` deletes the cell; removing a cell that is already gone is a no-op (the intent,
///      "it is gone", holds).
///    - `add` of a new id creates the cell (it must name a `shape`); `add` of an existing id is an
///      update with the same data.
///    - `update` is transformed: the engine rebuilds the cell as the client saw it (its base plus
///      its own unacknowledged operations, `OperationLog.cellAsSeen`), takes the client's change as
///      the property paths where its `data` differs from that, and applies only those paths to the
///      current cell. Changes to different properties by different users therefore both survive;
///      on the same property the later arrival wins. A `data` with `shape` is the whole new cell
///      (absent properties are removed); without `shape` it is partial (only named properties).
///    - `update` of a cell that is gone because someone removed it after the client's base is
///      dropped: remove beats a concurrent update. The rest of the message still applies; if
///      nothing is left, the message is rejected with `conflict_detected`. An `update` of an id
///      that never existed (as far as the log knows) rejects the message (`validation_failed`).
/// 4. Edges (`DiagramEngine+Edges.swift`): edges attached to a removed node are removed with it;
///    an added or updated edge whose endpoint does not exist rejects the whole message, with a
///    `state_correction` for the sender.
/// 5. Every cell the message adds or changes must satisfy the spec's cell rules (`CellValidator`),
///    and the diagram may not grow past `maxCells`, or the message is rejected with
///    `validation_failed`.
/// 6. A message that changes nothing is rejected (`no_state_change`).
/// 7. Otherwise it commits: the revision goes up by exactly one, the log gets the pre-images, and
///    the broadcast carries each changed cell whole, as it now stands.
extension DiagramEngine {
    enum Recording {
        case newOperation, undo, redo
    }

    /// The cells a message has changed so far, over the committed state.
    struct Overlay {
        var changed: [String: JSONValue?] = [:]
        var order: [String] = []

        func cell(_ id: String, in state: DiagramState) -> JSONValue? {
            if let c = changed[id] { return c }
            return state[id]
        }

        mutating func set(_ id: String, _ cell: JSONValue?) {
            if changed.updateValue(cell, forKey: id) == nil { order.append(id) }
        }
    }

    mutating func submit(
        _ m: DiagramOperationMessage, user: CollabUser, origin: String, recording: Recording
    ) -> SubmitOutcome {
        if let prior = applied.lookup(m.operationID) {
            guard prior.userID == user.userID else {
                return .rejected(
                    OperationRejection(.validationFailed, "operation_id \(m.operationID) is already in use"))
            }
            return .duplicate(ack: acknowledgement(for: m.operationID, prior))
        }
        guard !m.cells.isEmpty else {
            return .rejected(OperationRejection(.emptyOperation, "operation contains no cell operations"))
        }
        let base = m.baseVector ?? state.revision
        guard log.covers(base: base, current: state.revision) else { return .needsStateSync }

        var work = Overlay()
        var intended: [String: JSONValue?] = [:]
        var dropped: [String] = []
        var needsCheck: Set<String> = []
        for op in m.cells {
            switch op.kind {
            case .remove:
                work.set(op.id, nil)
                intended[op.id] = .some(nil)
            case .add, .update:
                guard var data = op.data, case .object = data else {
                    return .rejected(
                        OperationRejection(
                            .validationFailed, "cell \(op.id): \(op.kind.rawValue) needs a data object",
                            affectedCells: [op.id]))
                }
                data["id"] = .string(op.id)
                let isWhole = data["shape"] != nil
                guard var cell = work.cell(op.id, in: state) else {
                    if op.kind == .add {
                        guard isWhole else {
                            return .rejected(
                                OperationRejection(
                                    .validationFailed, "cell \(op.id): a new cell needs a shape",
                                    affectedCells: [op.id]))
                        }
                        work.set(op.id, data)
                        intended[op.id] = .some(data)
                        needsCheck.insert(op.id)
                        continue
                    }
                    // Remove beats update: the cell was removed after the client's base (or, with no
                    // base, anywhere the log remembers; or earlier in this very message).
                    if intended[op.id] == .some(nil)
                        || log.wasRemoved(op.id, after: m.baseVector ?? log.floor)
                    {
                        dropped.append(op.id)
                        continue
                    }
                    return .rejected(
                        OperationRejection(
                            .validationFailed, "cell \(op.id) does not exist", affectedCells: [op.id],
                            requiresResync: true))
                }
                let seen: JSONValue?
                if let mine = intended[op.id] {
                    seen = mine
                } else {
                    let rebuilt = log.cellAsSeen(op.id, base: base, origin: origin)
                    seen = rebuilt.found ? rebuilt.cell : state[op.id]
                }
                let changes =
                    isWhole
                    ? PropertyDelta.changes(from: seen, to: data)
                    : PropertyDelta.partialChanges(from: seen, named: data)
                PropertyDelta.apply(changes, to: &cell)
                work.set(op.id, cell)
                if !PropertyDelta.onlyMovesPosition(changes) { needsCheck.insert(op.id) }
                if isWhole {
                    intended[op.id] = .some(data)
                } else if var view = seen {
                    PropertyDelta.apply(changes, to: &view)
                    intended[op.id] = .some(view)
                } else {
                    intended[op.id] = .some(cell)
                }
            }
        }

        let senderTouched = work.order
        var added = 0
        for id in senderTouched {
            let existed = state.contains(id)
            let exists = work.cell(id, in: state) != nil
            if exists && !existed { added += 1 } else if existed && !exists { added -= 1 }
        }
        if added > 0 && state.count + added > maxCells {
            return .rejected(
                OperationRejection(.validationFailed, "the diagram would exceed \(maxCells) cells"))
        }
        let cascaded = removeEdgesOfRemovedNodes(&work)
        if let rejection = checkEdgeEndpoints(senderTouched, in: work) { return .rejected(rejection) }
        // A change that only moves a cell (new numbers for `x`/`y`) cannot make it invalid, and
        // dragging is most of what editors send; every other changed cell gets the full check.
        for id in senderTouched where needsCheck.contains(id) {
            guard let cell = work.cell(id, in: state), cell != state[id] else { continue }
            if let violation = validator.violation(cell) {
                return .rejected(
                    OperationRejection(.validationFailed, "cell \(id): \(violation)", affectedCells: [id]))
            }
        }

        var changes: [CellChange] = []
        changes.reserveCapacity(work.order.count)
        let cascadedSet = Set(cascaded)
        for id in work.order {
            let after = work.cell(id, in: state)
            let byServer = cascadedSet.contains(id)
            changes.append(
                CellChange(
                    id: id, before: state[id], after: after, intended: byServer ? nil : intended[id] ?? after,
                    bySender: !byServer))
        }
        guard changes.contains(where: { $0.before != $0.after }) else {
            if !dropped.isEmpty {
                return .rejected(
                    OperationRejection(
                        .conflictDetected, "the cells were removed by another user", affectedCells: dropped))
            }
            return .rejected(OperationRejection(.noStateChange, "operation results in no state change"))
        }
        return .accepted(commit(changes, message: m, user: user, origin: origin, recording: recording))
    }

    /// The acknowledgement for an operation applied earlier: its id and the cells it changed, but
    /// each cell as it stands now and `update_vector` the current revision. Replaying the old copy
    /// verbatim would be wrong: the client has since been sent later revisions, and applying older
    /// whole cells after them would move it backwards. `sequence_number` stays the revision at
    /// which the operation was applied.
    func acknowledgement(for operationID: String, _ prior: AppliedOperationIDs.Applied)
        -> DiagramOperationMessage
    {
        let cells = prior.cells.map { op in
            if let cell = state[op.id] {
                CellOperation(id: op.id, kind: op.kind == .remove ? .update : op.kind, data: cell)
            } else {
                CellOperation(id: op.id, kind: .remove)
            }
        }
        return DiagramOperationMessage(
            operationID: operationID, initiatingUser: prior.initiatingUser, sequenceNumber: prior.revision,
            updateVector: state.revision, cells: cells)
    }

    private mutating func commit(
        _ changes: [CellChange], message m: DiagramOperationMessage, user: CollabUser, origin: String,
        recording: Recording
    ) -> AcceptedOperation {
        let revision = state.revision + 1
        var cells: [CellOperation] = []
        cells.reserveCapacity(changes.count)
        for change in changes where change.before != change.after {
            if let after = change.after {
                state.upsert(after, id: change.id)
                cells.append(
                    CellOperation(id: change.id, kind: change.before == nil ? .add : .update, data: after))
            } else {
                state.remove(id: change.id)
                cells.append(CellOperation(id: change.id, kind: .remove))
            }
        }
        state.revision = revision
        // The sender's `base_vector` stays in the copy (DESIGN §6: the client's message plus
        // `sequence_number` and `update_vector`), so observers see what revision the change was
        // made against.
        let broadcast = DiagramOperationMessage(
            operationID: m.operationID, initiatingUser: UserClaim(user), baseVector: m.baseVector,
            sequenceNumber: revision, updateVector: revision, cells: cells)
        log.append(
            LogEntry(
                revision: revision, operationID: m.operationID, userID: user.userID, origin: origin,
                changes: changes, broadcast: broadcast))
        applied.record(
            m.operationID,
            .init(
                revision: revision, userID: user.userID, cells: cells.map { ($0.id, $0.kind) },
                initiatingUser: broadcast.initiatingUser))
        record(changes.filter { $0.before != $0.after }, for: user.userID, as: recording)
        return AcceptedOperation(revision: revision, message: broadcast)
    }
}
