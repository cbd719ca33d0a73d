import Synchronization

/// Logins in progress in this process's memory: one node's default. A restart merely makes
/// users click "log in" again. Bounded as a single node always was: past the limit the logins
/// closest to expiry are forgotten with their test codes, so a flood of `authorize` calls costs
/// the oldest pending logins, never unbounded memory.
public final class MemoryPendingLoginStore: PendingLoginStore {
    private let entries = Mutex<[PendingLoginKind: [String: PendingLoginEntry]]>([:])

    public init() {}

    public func insert(_ new: [PendingLoginEntry], limit: Int?, now: Int64) async throws -> Bool {
        entries.withLock { all in
            if let limit, all[.login, default: [:]].count >= limit {
                Self.purge(&all, now: now)
                Self.evict(&all, keeping: max(0, limit - 1))
            }
            for e in new { all[e.kind, default: [:]][e.key] = e }
        }
        return true
    }

    public func entry(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginEntry? {
        entries.withLock { all in all[kind]?[key].flatMap { $0.expiresAt > now ? $0 : nil } }
    }

    public func take(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginTake {
        entries.withLock { all in
            guard let e = all[kind]?[key], e.expiresAt > now else { return .unknown }
            if e.used { return .alreadyUsed(e) }
            all[kind]?[key]?.used = true
            return .taken(e)
        }
    }

    public func update(_ kind: PendingLoginKind, key: String, payload: String) async throws {
        entries.withLock { all in all[kind]?[key]?.payload = payload }
    }

    public func purge(now: Int64) async throws {
        entries.withLock { Self.purge(&$0, now: now) }
    }

    private static func purge(_ all: inout [PendingLoginKind: [String: PendingLoginEntry]], now: Int64) {
        for kind in all.keys { all[kind] = all[kind]?.filter { $0.value.expiresAt > now } }
    }

    /// Keeps the `count` logins that expire last, and only the test codes of those.
    private static func evict(
        _ all: inout [PendingLoginKind: [String: PendingLoginEntry]], keeping count: Int
    ) {
        let logins = all[.login, default: [:]]
        guard logins.count > count else { return }
        let keep = logins.values.sorted { $0.expiresAt > $1.expiresAt }.prefix(count)
        all[.login] = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0) })
        let live = Set(keep.map(\.key))
        all[.testCode] = all[.testCode]?.filter { $0.value.login.map(live.contains) ?? true }
    }
}
