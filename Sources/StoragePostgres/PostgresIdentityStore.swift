import FoundationEssentials
import Synchronization
import WireProtocol

/// Identity's state that every node sharing the database must see (DESIGN §11): refresh tokens
/// (by SHA-256 only), the access tokens each token family issued, revoked access tokens, and
/// users with their linked provider identities (migration 11). Users travel as the identity
/// module's own JSON (`record`), so this module needs no identity types. Parameterized
/// statements only; the schema is migrated on first use.
public final class PostgresIdentityStore: Sendable {
    public struct RefreshRow: Sendable, Equatable {
        public var hash, family, userID: String
        public var expiresAt: Int64
        public var idp: String
        public var groups: [String]
        public var spent: Bool

        public init(
            hash: String, family: String, userID: String, expiresAt: Int64, idp: String, groups: [String],
            spent: Bool
        ) {
            (self.hash, self.family, self.userID, self.expiresAt) = (hash, family, userID, expiresAt)
            (self.idp, self.groups, self.spent) = (idp, groups, spent)
        }
    }

    public enum Spend: Sendable, Equatable {
        case spent(RefreshRow)
        case unknown, expired
        /// Presented after it was spent: the family has been revoked.
        case reused
    }

    let client: PostgresClient
    let t: PostgresTables
    private let migrated = Mutex(false)

    /// A store on the database at `url`; connects (and migrates) on first use.
    public init(url: String, schema: String) throws {
        t = try PostgresTables(schema: schema)
        var configuration = try PostgresConfiguration(url: url)
        // Identity traffic is logins, refreshes and a once-a-second poll: two connections do.
        configuration.maxConnections = 2
        client = PostgresClient(configuration: configuration)
    }

    deinit {
        let client = client
        Task { await client.close() }
    }

    func ready() async throws {
        if migrated.withLock({ $0 }) { return }
        try await PostgresMigrations.run(client, t)
        migrated.withLock { $0 = true }
    }

    private static let columns = "hash, family, user_id, expires_at, idp, groups, spent"

    private static func row(_ r: PostgresRow) throws -> RefreshRow {
        RefreshRow(
            hash: try r.string("hash"), family: try r.string("family"), userID: try r.string("user_id"),
            expiresAt: Int64(try r.int("expires_at")), idp: try r.string("idp"),
            groups: try r.value("groups").decodeJSON([String].self), spent: try r.bool("spent"))
    }

    /// Records a refresh token and the access token issued with it, in one transaction. With
    /// `requireLiveFamily` the token is recorded only while its family still has a token (the
    /// one just spent): a revoked family deleted them all, and then nothing is recorded.
    public func issue(_ token: RefreshRow, accessJTI: String, accessExpiresAt: Int64, requireLiveFamily: Bool)
        async throws -> Bool
    {
        try await ready()
        let groups = String(decoding: try JSONEncoder().encode(token.groups), as: UTF8.self)
        let live =
            requireLiveFamily ? "WHERE EXISTS (SELECT 1 FROM \(t.refreshTokens) WHERE family = $2)" : ""
        return try await client.withTransaction { tx in
            let inserted = try await tx.execute(
                """
                INSERT INTO \(t.refreshTokens) (hash, family, user_id, expires_at, idp, groups, spent)
                SELECT $1, $2, $3, $4, $5, $6::json, false \(live)
                """,
                [
                    .text(token.hash), .text(token.family), .text(token.userID), .int64(token.expiresAt),
                    .text(token.idp), .text(groups),
                ])
            guard inserted == 1 else { return false }
            try await tx.execute(
                "INSERT INTO \(t.familyAccess) (jti, family, expires_at) VALUES ($1, $2, $3)",
                [.text(accessJTI), .text(token.family), .int64(accessExpiresAt)])
            return true
        }
    }

    /// Records a refresh token imported from a node's files and its family's access tokens,
    /// in one transaction; rows already there are left alone (`ON CONFLICT DO NOTHING`).
    public func importRefreshToken(_ token: RefreshRow, accessTokens: [(jti: String, expiresAt: Int64)])
        async throws
    {
        try await ready()
        let groups = String(decoding: try JSONEncoder().encode(token.groups), as: UTF8.self)
        var queries = [
            PostgresQuery(
                """
                INSERT INTO \(t.refreshTokens) (hash, family, user_id, expires_at, idp, groups, spent)
                VALUES ($1, $2, $3, $4, $5, $6::json, $7) ON CONFLICT (hash) DO NOTHING
                """,
                [
                    .text(token.hash), .text(token.family), .text(token.userID), .int64(token.expiresAt),
                    .text(token.idp), .text(groups), .bool(token.spent),
                ])
        ]
        for access in accessTokens {
            queries.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.familyAccess) (jti, family, expires_at) VALUES ($1, $2, $3)
                    ON CONFLICT (jti) DO NOTHING
                    """, [.text(access.jti), .text(token.family), .int64(access.expiresAt)]))
        }
        try await client.batch(queries)
    }

    /// Spends the token with `hash`: one `UPDATE ... WHERE NOT spent ... RETURNING`, so of any
    /// number of nodes presented the same token exactly one gets the row.
    public func spend(hash: String, now: Int64) async throws -> Spend {
        try await ready()
        let rows = try await client.query(
            """
            UPDATE \(t.refreshTokens) SET spent = true
            WHERE hash = $1 AND NOT spent AND expires_at > $2
            RETURNING \(Self.columns)
            """, [.text(hash), .int64(now)])
        if let first = rows.rows.first { return .spent(try Self.row(first)) }
        guard let record = try await refreshToken(hash: hash) else { return .unknown }
        if record.spent {
            try await revokeFamily(record.family)
            return .reused
        }
        return .expired
    }

    public func refreshToken(hash: String) async throws -> RefreshRow? {
        try await ready()
        let rows = try await client.query(
            "SELECT \(Self.columns) FROM \(t.refreshTokens) WHERE hash = $1", [.text(hash)])
        return try rows.rows.first.map(Self.row)
    }

    /// Revokes the family's access tokens and deletes its refresh tokens, atomically.
    public func revokeFamily(_ family: String) async throws {
        try await ready()
        try await client.batch([
            PostgresQuery(
                """
                INSERT INTO \(t.revocations) (jti, expires_at)
                SELECT jti, expires_at FROM \(t.familyAccess) WHERE family = $1
                ON CONFLICT (jti) DO NOTHING
                """, [.text(family)]),
            PostgresQuery("DELETE FROM \(t.familyAccess) WHERE family = $1", [.text(family)]),
            PostgresQuery("DELETE FROM \(t.refreshTokens) WHERE family = $1", [.text(family)]),
        ])
    }

    public func revokeAccessToken(jti: String, expiresAt: Int64) async throws {
        try await ready()
        try await client.execute(
            "INSERT INTO \(t.revocations) (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
            [.text(jti), .int64(expiresAt)])
    }

    /// Revocations with a sequence number above `cursor`, plus those recorded in the last 10
    /// seconds whatever their number: a sequence number is taken when a statement runs, not
    /// when it commits, so a revocation may become visible after one with a higher number was
    /// read; re-reading a short window catches it (a revocation commits in milliseconds).
    public func revocations(after cursor: Int64) async throws -> (
        ids: [(jti: String, expiresAt: Int64)], cursor: Int64
    ) {
        try await ready()
        let rows = try await client.query(
            """
            SELECT jti, expires_at, seq FROM \(t.revocations)
            WHERE seq > $1 OR created_at > now() - interval '10 seconds'
            """, [.int64(cursor)])
        var ids: [(jti: String, expiresAt: Int64)] = []
        var next = cursor
        for r in rows.rows {
            ids.append((try r.string("jti"), Int64(try r.int("expires_at"))))
            next = max(next, Int64(try r.int("seq")))
        }
        return (ids, next)
    }

    /// Drops refresh tokens, family records and revocations that expired before `before`.
    public func prune(before: Int64) async throws {
        try await ready()
        try await client.batch([
            PostgresQuery("DELETE FROM \(t.refreshTokens) WHERE expires_at < $1", [.int64(before)]),
            PostgresQuery("DELETE FROM \(t.familyAccess) WHERE expires_at < $1", [.int64(before)]),
            PostgresQuery("DELETE FROM \(t.revocations) WHERE expires_at < $1", [.int64(before)]),
        ])
    }

    /// Inserts or replaces a user (its JSON `record`) and links its provider identities to it;
    /// an identity already linked to someone keeps its link (the first node to record it wins).
    public func saveUser(
        id: String, email: String, record: String, links: [(provider: String, subject: String)]
    )
        async throws
    {
        try await ready()
        var queries = [
            PostgresQuery(
                """
                INSERT INTO \(t.users) (id, email_lower, record) VALUES ($1, $2, $3::json)
                ON CONFLICT (id) DO UPDATE SET email_lower = EXCLUDED.email_lower, record = EXCLUDED.record
                """, [.text(id), .text(email.lowercased()), .text(record)])
        ]
        for link in links {
            queries.append(
                PostgresQuery(
                    """
                    INSERT INTO \(t.userLinks) (provider, subject, user_id) VALUES ($1, $2, $3)
                    ON CONFLICT (provider, subject) DO NOTHING
                    """, [.text(link.provider), .text(link.subject), .text(id)]))
        }
        try await client.batch(queries)
    }

    /// The JSON record of the user with `id`.
    public func user(id: String) async throws -> String? {
        try await ready()
        let rows = try await client.query("SELECT record FROM \(t.users) WHERE id = $1", [.text(id)])
        return try rows.rows.first?.string("record")
    }

    /// The JSON record of the user the provider identity is linked to.
    public func user(provider: String, subject: String) async throws -> String? {
        try await ready()
        let rows = try await client.query(
            """
            SELECT u.record FROM \(t.userLinks) l JOIN \(t.users) u ON u.id = l.user_id
            WHERE l.provider = $1 AND l.subject = $2
            """, [.text(provider), .text(subject)])
        return try rows.rows.first?.string("record")
    }

    /// The JSON record of a user with this email (case-insensitive; the lowest id if several).
    public func user(email: String) async throws -> String? {
        try await ready()
        let rows = try await client.query(
            "SELECT record FROM \(t.users) WHERE email_lower = $1 ORDER BY id LIMIT 1",
            [.text(email.lowercased())])
        return try rows.rows.first?.string("record")
    }
}
