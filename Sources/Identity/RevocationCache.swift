import Synchronization

/// The access-token revocations every node made, as this node last read them from the shared
/// store (DESIGN §11). Verifying a token consults only this in-memory set, never the database:
/// a background task reads the revocations added since the last read once a second, so a
/// token revoked on another node is refused here at most about a second later (bounded
/// staleness, stated in docs/cluster.md). Revocations made on this node are read back at once,
/// before `/oauth2/revoke` answers, so here they apply immediately.
final class RevocationCache: Sendable {
    private struct State {
        var ids: [String: Int64] = [:]
        var cursor: Int64 = 0
        var lastPrune: Int64 = 0
    }

    private let state = Mutex(State())

    /// How often the poller reads new revocations.
    static let interval: Duration = .seconds(1)

    func contains(_ jti: String) -> Bool { state.withLock { $0.ids[jti] != nil } }

    /// Reads the revocations added since the last read; forgets those past their token's `exp`
    /// (plus `leeway`), and once a minute asks the store to drop what has expired.
    func sync(_ store: any IdentitySharedStore, now: Int64, leeway: Int64) async throws {
        let cursor = state.withLock { $0.cursor }
        let (ids, next) = try await store.revocations(after: cursor)
        let prune = state.withLock { s -> Bool in
            for id in ids where id.expiresAt + leeway > now { s.ids[id.jti] = id.expiresAt }
            s.cursor = max(s.cursor, next)
            guard now - s.lastPrune >= 60 else { return false }
            s.lastPrune = now
            s.ids = s.ids.filter { $0.value + leeway > now }
            return true
        }
        if prune { try await store.prune(before: now - leeway) }
    }

    /// Polls `store` every `interval` until cancelled; a failed read is retried on the next tick
    /// (the set keeps what it had, so a database outage never un-revokes a token).
    static func poll(
        _ cache: RevocationCache, _ store: any IdentitySharedStore, leeway: Int64,
        now: @escaping @Sendable () -> Int64
    ) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                try? await cache.sync(store, now: now(), leeway: leeway)
                try? await Task.sleep(for: interval)
            }
        }
    }
}
