import FoundationEssentials
import Identity
import StoragePostgres

/// Identity's refresh tokens, revocations and users on the PostgreSQL backend, so every node
/// started with the same `--database-url` honours what another issued or revoked (DESIGN §11).
/// Chosen exactly when `--database-url` is set; the embedded store keeps them in the data
/// directory as before. A thin translation between the identity module's types and rows.
final class PostgresIdentitySharedStore: IdentitySharedStore {
    let store: PostgresIdentityStore

    init(url: String, schema: String) throws {
        store = try PostgresIdentityStore(url: url, schema: schema)
    }

    private static func row(_ t: SharedRefreshToken) -> PostgresIdentityStore.RefreshRow {
        .init(
            hash: t.hash, family: t.family, userID: t.userID, expiresAt: t.expiresAt, idp: t.idp,
            groups: t.groups,
            spent: t.spent)
    }

    private static func token(_ r: PostgresIdentityStore.RefreshRow) -> SharedRefreshToken {
        .init(
            hash: r.hash, family: r.family, userID: r.userID, expiresAt: r.expiresAt, idp: r.idp,
            groups: r.groups,
            spent: r.spent)
    }

    func issue(
        _ token: SharedRefreshToken, accessJTI: String, accessExpiresAt: Int64, requireLiveFamily: Bool
    )
        async throws -> Bool
    {
        try await store.issue(
            Self.row(token), accessJTI: accessJTI, accessExpiresAt: accessExpiresAt,
            requireLiveFamily: requireLiveFamily)
    }

    func importRefreshToken(_ token: SharedRefreshToken, accessTokens: [(jti: String, expiresAt: Int64)])
        async throws
    {
        try await store.importRefreshToken(Self.row(token), accessTokens: accessTokens)
    }

    func spend(hash: String, now: Int64) async throws -> SharedSpend {
        switch try await store.spend(hash: hash, now: now) {
        case .spent(let row): .spent(Self.token(row))
        case .unknown: .unknown
        case .expired: .expired
        case .reused: .reused
        }
    }

    func refreshToken(hash: String) async throws -> SharedRefreshToken? {
        try await store.refreshToken(hash: hash).map(Self.token)
    }

    func revokeFamily(_ family: String) async throws { try await store.revokeFamily(family) }

    func revokeAccessToken(jti: String, expiresAt: Int64) async throws {
        try await store.revokeAccessToken(jti: jti, expiresAt: expiresAt)
    }

    func revocations(after cursor: Int64) async throws -> (
        ids: [(jti: String, expiresAt: Int64)], cursor: Int64
    ) {
        try await store.revocations(after: cursor)
    }

    func prune(before: Int64) async throws { try await store.prune(before: before) }

    func saveUser(_ user: UserRecord) async throws {
        let record = String(decoding: try JSONEncoder().encode(user), as: UTF8.self)
        try await store.saveUser(
            id: user.id, email: user.email, record: record,
            links: user.identities.map { ($0.provider, $0.subject) })
    }

    private static func decode(_ json: String?) throws -> UserRecord? {
        try json.map { try JSONDecoder().decode(UserRecord.self, from: Data($0.utf8)) }
    }

    func user(id: String) async throws -> UserRecord? { try Self.decode(try await store.user(id: id)) }

    func user(identity: LinkedIdentity) async throws -> UserRecord? {
        try Self.decode(try await store.user(provider: identity.provider, subject: identity.subject))
    }

    func user(email: String) async throws -> UserRecord? {
        try Self.decode(try await store.user(email: email))
    }
}

extension ServerConfiguration {
    /// Where refresh tokens, revocations, users and logins in progress are shared between
    /// nodes: the PostgreSQL store when there is one (one instance serving as both the
    /// `IdentitySharedStore` and the `PendingLoginStore`), else nil (the data directory's files
    /// and this process's memory). A URL or schema that does not parse gives nil here: the store
    /// itself refuses it at start with the reason, and the server does not start.
    var postgresIdentityStore: PostgresIdentitySharedStore? {
        guard let databaseURL else { return nil }
        return try? PostgresIdentitySharedStore(url: databaseURL, schema: databaseSchema)
    }
}

/// Logins in progress on the same PostgreSQL store (migration 12), so `authorize`, the
/// provider's callback and the code's exchange may each reach a different node (DESIGN §11).
extension PostgresIdentitySharedStore: PendingLoginStore {
    private static func row(_ e: PendingLoginEntry) -> PostgresIdentityStore.PendingRow {
        .init(
            kind: e.kind.rawValue, key: e.key, login: e.login, payload: e.payload, expiresAt: e.expiresAt,
            used: e.used)
    }

    /// Nil for a kind this version does not know (a newer node's row): treated as unknown.
    private static func entry(_ r: PostgresIdentityStore.PendingRow) -> PendingLoginEntry? {
        PendingLoginKind(rawValue: r.kind).map {
            PendingLoginEntry(
                kind: $0, key: r.key, login: r.login, payload: r.payload, expiresAt: r.expiresAt, used: r.used
            )
        }
    }

    func insert(_ entries: [PendingLoginEntry], limit: Int?, now: Int64) async throws -> Bool {
        try await store.insertPending(entries.map(Self.row), limit: limit, now: now)
    }

    func entry(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginEntry? {
        try await store.pending(kind: kind.rawValue, key: key, now: now).flatMap(Self.entry)
    }

    func take(_ kind: PendingLoginKind, key: String, now: Int64) async throws -> PendingLoginTake {
        switch try await store.takePending(kind: kind.rawValue, key: key, now: now) {
        case .taken(let r): Self.entry(r).map { .taken($0) } ?? .unknown
        case .alreadyUsed(let r): Self.entry(r).map { .alreadyUsed($0) } ?? .unknown
        case .unknown: .unknown
        }
    }

    func update(_ kind: PendingLoginKind, key: String, payload: String) async throws {
        try await store.updatePending(kind: kind.rawValue, key: key, payload: payload)
    }

    func purge(now: Int64) async throws { try await store.purgePending(now: now) }
}
