/// Edges and the nodes they attach to.
///
/// Invariant: every edge's `source`/`target` that names a cell names a node that exists (the spec:
/// a terminal is "the connected node"). Two rules keep it:
/// - Removing a cell removes the edges attached to it (and edges attached to those), as part of
///   the same message and revision. The broadcast lists those removals, so every client drops the
///   same edges; without this, a concurrent "connect to N" and "remove N" would leave a dangling
///   edge on the server that no client ever drew.
/// - An edge that the message adds or updates must attach to existing nodes once the whole message
///   has applied (so one message may add a node and an edge to it, in either order); otherwise the
///   message is rejected with `conflict_detected` and the sender also gets a `state_correction`.
extension DiagramEngine {
    /// Removes, in `work`, every edge attached to a cell that `work` removes and that the sender
    /// did not itself touch. Returns the ids so removed.
    func removeEdgesOfRemovedNodes(_ work: inout Overlay) -> [String] {
        var pending = work.order.filter { work.cell($0, in: state) == nil && state.contains($0) }
        var cascaded: [String] = []
        let touched = Set(work.order)
        while let removed = pending.popLast() {
            var candidates = state.edges(attachedTo: removed)
            for id in work.order {  // edges this message added or re-pointed
                if let cell = work.changed[id] ?? nil, EdgeEndpoints.of(cell).contains(removed) {
                    candidates.insert(id)
                }
            }
            for edge in candidates.sorted() where !touched.contains(edge) {
                guard let cell = work.cell(edge, in: state), EdgeEndpoints.of(cell).contains(removed) else {
                    continue
                }
                work.set(edge, nil)
                cascaded.append(edge)
                pending.append(edge)
            }
        }
        return cascaded
    }

    /// The rejection for the first sender-touched edge that attaches to a missing cell, if any.
    func checkEdgeEndpoints(_ ids: [String], in work: Overlay) -> OperationRejection? {
        for id in ids {
            guard let cell = work.cell(id, in: state) else { continue }
            for endpoint in EdgeEndpoints.of(cell) {
                guard let end = work.cell(endpoint, in: state) else {
                    return OperationRejection(
                        .conflictDetected, "edge \(id) attaches to cell \(endpoint), which does not exist",
                        affectedCells: [id], requiresResync: false, stateCorrection: true)
                }
                if end["shape"] == "edge" {
                    return OperationRejection(
                        .validationFailed, "edge \(id) attaches to \(endpoint), which is an edge, not a node",
                        affectedCells: [id])
                }
            }
        }
        return nil
    }
}
