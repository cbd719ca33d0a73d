import WireProtocol

/// The schema of the PostgreSQL store, as numbered migrations applied in order at start (and by
/// `tmi-server migrate`). A migration is never edited once released: a change is a new number.
/// Every statement is fixed text (no data ever goes into it), run in one transaction per
/// migration under an advisory lock, so two nodes starting together migrate once.
///
/// Layout, chosen so that every store mutation is a handful of keyed, idempotent statements:
/// - `tmi_threat_models`: one row per model, its own fields as `json` (kept verbatim: `jsonb`
///   would refuse a `\u0000` a client may legally send, and reorder keys for nothing).
/// - `tmi_children`: threats, documents, sources and diagrams, keyed by (model, kind, id); a
///   diagram's cells are not in `fields` but in `tmi_diagram_cells`, and its revision is in
///   `update_vector` once a live session moved it, so an operation touches only what it changed.
/// - `tmi_metadata`: one row per key of a model (kind and child '') or of a child.
/// - `seq` columns (one sequence each) keep creation order, which the API shows.
public enum PostgresMigrations {
    public struct Migration: Sendable {
        public var version: Int
        public var name: String
        public var statements: [String]
    }

    /// Every migration, with table names in `t`'s schema.
    public static func all(_ t: PostgresTables) -> [Migration] {
        [
            Migration(
                version: 1, name: "threat models, children, metadata, diagram cells",
                statements: [
                    """
                    CREATE TABLE \(t.models) (
                        id text PRIMARY KEY,
                        seq bigserial NOT NULL,
                        fields json NOT NULL)
                    """,
                    """
                    CREATE TABLE \(t.children) (
                        model_id text NOT NULL,
                        kind text NOT NULL CHECK (kind IN ('threats', 'documents', 'sources', 'diagrams')),
                        id text NOT NULL,
                        seq bigserial NOT NULL,
                        fields json NOT NULL,
                        update_vector bigint,
                        PRIMARY KEY (model_id, kind, id))
                    """,
                    """
                    CREATE TABLE \(t.metadata) (
                        model_id text NOT NULL,
                        kind text NOT NULL,
                        child_id text NOT NULL,
                        key text NOT NULL,
                        seq bigserial NOT NULL,
                        value json NOT NULL,
                        PRIMARY KEY (model_id, kind, child_id, key))
                    """,
                    """
                    CREATE TABLE \(t.cells) (
                        model_id text NOT NULL,
                        diagram_id text NOT NULL,
                        cell_id text NOT NULL,
                        seq bigserial NOT NULL,
                        data json NOT NULL,
                        PRIMARY KEY (model_id, diagram_id, cell_id))
                    """,
                ]),
            Migration(
                version: 2, name: "diagram fencing tokens and applied operation ids",
                statements: [
                    // The operations applied to each diagram (id, revision, user, cells touched),
                    // so the next owner of its session de-duplicates a resent operation id.
                    """
                    CREATE TABLE \(t.operations) (
                        model_id text NOT NULL,
                        diagram_id text NOT NULL,
                        operation_id text NOT NULL,
                        revision bigint NOT NULL,
                        entry json NOT NULL,
                        PRIMARY KEY (model_id, diagram_id, operation_id))
                    """,
                    index(t.operations, "model_id, diagram_id, revision"),
                    // The newest ownership token each diagram has seen (several nodes, DESIGN §11).
                    """
                    CREATE TABLE \(t.fences) (
                        model_id text NOT NULL,
                        diagram_id text NOT NULL,
                        token bigint NOT NULL,
                        PRIMARY KEY (model_id, diagram_id))
                    """,
                    // Raises the mark, or aborts the transaction (so the whole batch) with SQLSTATE
                    // TMI01 when `tok` is older: the row lock orders it against the new owner's
                    // claim, so a stale owner's batch either committed before the claim or fails.
                    // Re-sending the same token (a retried group) passes.
                    """
                    CREATE FUNCTION \(t.fenceFunction)(m text, d text, tok bigint) RETURNS void
                    LANGUAGE plpgsql AS $fn$
                    DECLARE newest bigint;
                    BEGIN
                        INSERT INTO \(t.fences) AS f (model_id, diagram_id, token) VALUES (m, d, tok)
                        ON CONFLICT (model_id, diagram_id)
                        DO UPDATE SET token = greatest(f.token, EXCLUDED.token)
                        RETURNING f.token INTO newest;
                        IF newest > tok THEN
                            RAISE EXCEPTION 'fenced: ownership token % is older than %', tok, newest
                                USING ERRCODE = 'TMI01';
                        END IF;
                    END
                    $fn$
                    """,
                ]),
            // Identity's migrations are numbered from 10, so they and the store's own (2, 3, ...)
            // never take the same number while both evolve; versions are applied one by one.
            Migration(
                version: 10, name: "identity: values shared by every node (the generated signing key)",
                statements: [
                    """
                    CREATE TABLE \(t.shared) (
                        name text PRIMARY KEY,
                        value bytea NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now())
                    """
                ]),
            Migration(
                version: 11, name: "identity: refresh tokens, revocations and users shared by every node",
                statements: [
                    // Refresh tokens by SHA-256 (hex) of the token: the database never holds a
                    // usable one. Spent ones stay until they expire, so a reuse is recognised.
                    """
                    CREATE TABLE \(t.refreshTokens) (
                        hash text PRIMARY KEY,
                        family text NOT NULL,
                        user_id text NOT NULL,
                        expires_at bigint NOT NULL,
                        idp text NOT NULL,
                        groups json NOT NULL,
                        spent boolean NOT NULL DEFAULT false)
                    """,
                    index(t.refreshTokens, "family"),
                    // The access tokens each family issued, revoked with it.
                    """
                    CREATE TABLE \(t.familyAccess) (
                        jti text PRIMARY KEY,
                        family text NOT NULL,
                        expires_at bigint NOT NULL)
                    """,
                    index(t.familyAccess, "family"),
                    // Revoked access tokens; `seq` lets each node read only what is new.
                    """
                    CREATE TABLE \(t.revocations) (
                        jti text PRIMARY KEY,
                        expires_at bigint NOT NULL,
                        seq bigserial NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now())
                    """,
                    index(t.revocations, "seq"),
                    index(t.revocations, "created_at"),
                    """
                    CREATE TABLE \(t.users) (
                        id text PRIMARY KEY,
                        email_lower text NOT NULL,
                        record json NOT NULL)
                    """,
                    index(t.users, "email_lower"),
                    """
                    CREATE TABLE \(t.userLinks) (
                        provider text NOT NULL,
                        subject text NOT NULL,
                        user_id text NOT NULL,
                        PRIMARY KEY (provider, subject))
                    """,
                ]),
            Migration(
                version: 12, name: "identity: logins in progress shared by every node",
                statements: [
                    // One row per login started at `authorize` (kind 'login', by our state), per
                    // test-provider code and per code of ours for a PKCE client, each keyed by the
                    // SHA-256 (hex) of the secret. `used` is set by one atomic UPDATE; a used row
                    // stays until it expires so a replay is told apart from an unknown code.
                    """
                    CREATE TABLE \(t.pendingLogins) (
                        kind text NOT NULL CHECK (kind IN ('login', 'test_code', 'grant')),
                        key text NOT NULL,
                        login text,
                        payload json NOT NULL,
                        expires_at bigint NOT NULL,
                        used boolean NOT NULL DEFAULT false,
                        PRIMARY KEY (kind, key))
                    """,
                    index(t.pendingLogins, "kind, expires_at"),
                    index(t.pendingLogins, "expires_at"),
                ]),
            Migration(
                version: 13, name: "threat model revisions: what each node's list compares",
                statements: [
                    // A model's revision changes in the transaction of every change to it or to
                    // its children and metadata (not a live session's cells: the list does not
                    // show them), so a node compares (id, revision) with what it loaded and
                    // reloads only what moved (`ThreatModelStore.refreshChanged`). A new row takes
                    // a fresh value from the sequence, so a model deleted and created again under
                    // the same id never matches an old copy; an update adds one under the row lock.
                    "CREATE SEQUENCE \(t.revisionSequence)",
                    """
                    ALTER TABLE \(t.models)
                        ADD COLUMN revision bigint NOT NULL DEFAULT nextval('\(t.revisionSequence)')
                    """,
                ]),
        ]
    }

    /// `CREATE INDEX ON table (columns)`, the statement every migration repeats; the index takes
    /// PostgreSQL's default name, exactly as the literal statements of released migrations did.
    static func index(_ table: String, _ columns: String) -> String {
        "CREATE INDEX ON \(table) (\(columns))"
    }

    /// Key of the advisory lock held while migrating ("tmi" + 1).
    static let lockKey: Int64 = 0x746D_6901

    /// Applies every migration the database has not seen; returns the versions applied now.
    @discardableResult
    public static func run(_ client: PostgresClient, _ t: PostgresTables) async throws -> [Int] {
        // The schema and the bookkeeping table once, under the lock, so two nodes starting at
        // once never race to create them.
        try await client.withTransaction { tx in
            try await tx.execute("SELECT pg_advisory_xact_lock($1)", [.int64(lockKey)])
            if t.schema != "public" { try await tx.execute("CREATE SCHEMA IF NOT EXISTS \(t.schema)") }
            try await tx.execute(
                """
                CREATE TABLE IF NOT EXISTS \(t.migrations) (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """)
        }
        var applied: [Int] = []
        for migration in all(t) {
            let ran = try await client.withTransaction { tx in
                try await tx.execute("SELECT pg_advisory_xact_lock($1)", [.int64(lockKey)])
                let seen = try await tx.query(
                    "SELECT 1 FROM \(t.migrations) WHERE version = $1", [.int(migration.version)])
                guard seen.rows.isEmpty else { return false }
                for statement in migration.statements { try await tx.execute(statement) }
                try await tx.execute(
                    "INSERT INTO \(t.migrations) (version, name) VALUES ($1, $2)",
                    [.int(migration.version), .text(migration.name)])
                return true
            }
            if ran { applied.append(migration.version) }
        }
        return applied
    }

    /// The highest version applied (0 for an empty database).
    public static func currentVersion(_ client: PostgresClient, _ t: PostgresTables) async throws -> Int {
        let rows = try await client.query("SELECT coalesce(max(version), 0) AS v FROM \(t.migrations)")
        return try rows.first?.int("v") ?? 0
    }
}

extension PostgresStore {
    /// The URL as it may be logged: the configuration's own description (password masked), or
    /// just the scheme when it does not parse.
    public static func redacted(_ url: String) -> String {
        (try? PostgresConfiguration(url: url))?.description ?? "postgres://(unparsable URL)"
    }
}

/// The store's table names, qualified with the schema they live in (`public` unless
/// `--database-schema` names another, e.g. one schema per test or per deployment sharing a
/// database). The schema is an identifier checked here, the only text ever put into SQL.
public struct PostgresTables: Sendable, Equatable {
    public let schema: String
    let models, children, metadata, cells, migrations: String
    /// Identity's node-shared values (`PostgresSharedValues`).
    let shared: String
    /// Identity's refresh tokens, family access tokens, revocations and users (migration 11).
    let refreshTokens, familyAccess, revocations, users, userLinks: String
    /// Identity's logins in progress (migration 12).
    let pendingLogins: String
    let fences, fenceFunction, operations: String
    /// Fresh revisions of new threat model rows (migration 13).
    let revisionSequence: String

    public struct InvalidSchema: Error, CustomStringConvertible {
        public var description: String
    }

    public init(schema: String = "public") throws(InvalidSchema) {
        let ok =
            !schema.isEmpty && schema.utf8.count <= 63
            && schema.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F
            }
            && !(schema.utf8.first! >= 0x30 && schema.utf8.first! <= 0x39)
        guard ok else {
            throw InvalidSchema(
                description: "a database schema is 1-63 of a-z, 0-9 and _, not starting with a digit")
        }
        self.schema = schema
        self.models = "\(schema).tmi_threat_models"
        self.children = "\(schema).tmi_children"
        self.metadata = "\(schema).tmi_metadata"
        self.cells = "\(schema).tmi_diagram_cells"
        self.migrations = "\(schema).tmi_schema_migrations"
        self.shared = "\(schema).tmi_identity_shared"
        self.refreshTokens = "\(schema).tmi_identity_refresh_tokens"
        self.familyAccess = "\(schema).tmi_identity_family_access"
        self.revocations = "\(schema).tmi_identity_revocations"
        self.users = "\(schema).tmi_identity_users"
        self.userLinks = "\(schema).tmi_identity_user_links"
        self.pendingLogins = "\(schema).tmi_identity_pending"
        self.fences = "\(schema).tmi_diagram_fences"
        self.fenceFunction = "\(schema).tmi_fence"
        self.operations = "\(schema).tmi_diagram_operations"
        self.revisionSequence = "\(schema).tmi_model_revision_seq"
    }
}
