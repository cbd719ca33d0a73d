import CollabCore

/// Several nodes over one shared backend (DESIGN §11). Each node keeps the whole state in
/// memory and decides changes there, so before acting on a threat model that another node may
/// have changed (a WebSocket join, a diagram whose session lives elsewhere, the new owner of a
/// session after a failover) a node reads that model back from the backend and replaces its copy.
extension ThreatModelStore {
    /// Whether other nodes can write the same backend (PostgreSQL): only then does `refresh` read.
    public var isShared: Bool { backend?.isShared ?? false }

    /// Replaces the memory's copy of model `id` (and its diagrams' fencing marks) with the
    /// backend's durable one. Waits first for this node's own queued writes, so the copy read
    /// back includes them; a write this node commits while the read is in flight is kept
    /// (it is newer than the read), so nothing this node acknowledged disappears from memory.
    /// Does nothing for a backend that is not shared.
    public func refresh(model id: String) async throws(StoreUnavailable) {
        guard let backend, backend.isShared else { return }
        let before = lastTicket
        if before > 0 { try await backend.waitDurable(before) }
        let stamp = core.withLock { $0.startRead() }
        let (loaded, revision) = try await backend.loadRevisedModel(id)
        core.withLock { c in
            // Someone here wrote the model meanwhile: its own commit is newer than the read;
            // keep memory, a later refresh picks up the rest.
            guard c.lastTicket == before else { return }
            c.replace(model: id, from: loaded, revision: revision, read: stamp)
        }
    }

    /// The newest operations a shared backend recorded for a diagram (see `Store.recentOperations`).
    public func recentOperations(model: String, diagram: String, limit: Int = 1000)
        async throws(StoreUnavailable)
        -> [JSONValue]
    {
        guard let backend, backend.isShared else { return [] }
        return try await backend.recentOperations(model: model, diagram: diagram, limit: limit)
    }

    var lastTicket: UInt64 { core.withLock { $0.lastTicket } }
}
