import WireProtocol

/// Logins in progress shared by every node (migration 12, `tmi_identity_pending`): the
/// identity module's `PendingLoginStore` over one table, so `authorize`, the provider's
/// callback and the code's token exchange may each reach a different node. Keys are SHA-256
/// (hex) of the state or code; the payload is the identity module's JSON, opaque here.
extension PostgresIdentityStore {
    public struct PendingRow: Sendable, Equatable {
        public var kind, key: String
        public var login: String?
        public var payload: String
        public var expiresAt: Int64
        public var used: Bool

        public init(kind: String, key: String, login: String?, payload: String, expiresAt: Int64, used: Bool)
        {
            (self.kind, self.key, self.login, self.payload) = (kind, key, login, payload)
            (self.expiresAt, self.used) = (expiresAt, used)
        }
    }

    public enum PendingTake: Sendable, Equatable {
        case taken(PendingRow)
        case alreadyUsed(PendingRow)
        case unknown
    }

    private static let pendingColumns = "kind, key, login, payload::text AS payload, expires_at, used"

    private static func pendingRow(_ r: PostgresRow) throws -> PendingRow {
        let login = try r.value("login")
        return PendingRow(
            kind: try r.string("kind"), key: try r.string("key"), login: login.isNull ? nil : login.string,
            payload: try r.string("payload"), expiresAt: Int64(try r.int("expires_at")),
            used: try r.bool("used"))
    }

    private static func insertQuery(_ t: PostgresTables, _ row: PendingRow, guardedBy limit: Int?, now: Int64)
        -> PostgresQuery
    {
        var parameters: [PostgresValue] = [
            .text(row.kind), .text(row.key), row.login.map { .text($0) } ?? .null, .text(row.payload),
            .int64(row.expiresAt),
        ]
        var condition = ""
        if let limit {
            // Read committed: nodes inserting at the same instant may each see one slot left,
            // so the bound holds within the number of concurrent inserts (a few per node).
            condition = """
                WHERE (SELECT count(*) FROM \(t.pendingLogins) WHERE kind = 'login' AND expires_at > $6) < $7
                """
            parameters += [.int64(now), .int(limit)]
        }
        return PostgresQuery(
            """
            INSERT INTO \(t.pendingLogins) (kind, key, login, payload, expires_at, used)
            SELECT $1, $2, $3, $4::json, $5, false \(condition)
            """, parameters)
    }

    /// Inserts `rows` in one transaction. With `limit`, the first row (a login) goes in only
    /// while fewer than `limit` unexpired logins are pending; if it does not, nothing does and
    /// the answer is false.
    public func insertPending(_ rows: [PendingRow], limit: Int?, now: Int64) async throws -> Bool {
        try await ready()
        guard let first = rows.first else { return true }
        let t = self.t
        return try await client.withTransaction { tx in
            let head = Self.insertQuery(t, first, guardedBy: limit, now: now)
            guard try await tx.execute(head.sql, head.parameters) == 1 else { return false }
            for row in rows.dropFirst() {
                let q = Self.insertQuery(t, row, guardedBy: nil, now: now)
                try await tx.execute(q.sql, q.parameters)
            }
            return true
        }
    }

    /// The unexpired entry, used or not.
    public func pending(kind: String, key: String, now: Int64) async throws -> PendingRow? {
        try await ready()
        let rows = try await client.query(
            """
            SELECT \(Self.pendingColumns) FROM \(t.pendingLogins)
            WHERE kind = $1 AND key = $2 AND expires_at > $3
            """, [.text(kind), .text(key), .int64(now)])
        return try rows.rows.first.map(Self.pendingRow)
    }

    /// Marks the entry used in one `UPDATE … WHERE NOT used … RETURNING`: of any number of nodes
    /// racing for one code, exactly one gets the row.
    public func takePending(kind: String, key: String, now: Int64) async throws -> PendingTake {
        try await ready()
        let rows = try await client.query(
            """
            UPDATE \(t.pendingLogins) SET used = true
            WHERE kind = $1 AND key = $2 AND NOT used AND expires_at > $3
            RETURNING \(Self.pendingColumns)
            """, [.text(kind), .text(key), .int64(now)])
        if let row = rows.rows.first { return .taken(try Self.pendingRow(row)) }
        guard let row = try await pending(kind: kind, key: key, now: now) else { return .unknown }
        return row.used ? .alreadyUsed(row) : .unknown
    }

    public func updatePending(kind: String, key: String, payload: String) async throws {
        try await ready()
        try await client.execute(
            "UPDATE \(t.pendingLogins) SET payload = $3::json WHERE kind = $1 AND key = $2",
            [.text(kind), .text(key), .text(payload)])
    }

    /// Deletes every entry expired at `now`.
    public func purgePending(now: Int64) async throws {
        try await ready()
        try await client.execute("DELETE FROM \(t.pendingLogins) WHERE expires_at <= $1", [.int64(now)])
    }
}
