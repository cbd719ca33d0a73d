import StoragePostgres
import TestSupport
import Testing
import WireProtocol

/// The numbered migrations: applied once each, a database of an earlier version gains only
/// what it lacks, and released migrations keep their exact statements.
@Suite struct PostgresMigrationsTests {
    @Test func releasedIndexStatementsAreUnchanged() throws {
        let t = try PostgresTables(schema: "s")
        let statements = PostgresMigrations.all(t).flatMap(\.statements)
        for released in [
            "CREATE INDEX ON s.tmi_diagram_operations (model_id, diagram_id, revision)",
            "CREATE INDEX ON s.tmi_identity_refresh_tokens (family)",
            "CREATE INDEX ON s.tmi_identity_family_access (family)",
            "CREATE INDEX ON s.tmi_identity_revocations (seq)",
            "CREATE INDEX ON s.tmi_identity_revocations (created_at)",
            "CREATE INDEX ON s.tmi_identity_users (email_lower)",
        ] {
            #expect(statements.contains(released), "\(released)")
        }
        #expect(PostgresMigrations.all(t).map(\.version) == [1, 2, 10, 11, 12, 13])
    }

    @Test(.enabled(if: TestDatabase.shouldRun))
    func aDatabaseAtVersion11GainsOnlyMigration12() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        let t = try PostgresTables(schema: schema)
        let client = try PostgresClient(url: url)
        #expect(try await PostgresMigrations.run(client, t) == [1, 2, 10, 11, 12, 13])
        #expect(try await PostgresMigrations.run(client, t) == [])
        // Back to how a deployed database at version 11 looks.
        try await client.execute("DROP TABLE \(schema).tmi_identity_pending")
        try await client.execute("DELETE FROM \(schema).tmi_schema_migrations WHERE version = 12")
        #expect(try await PostgresMigrations.run(client, t) == [12])
        #expect(try await PostgresMigrations.currentVersion(client, t) == 13)
        let count = try await client.query("SELECT count(*) AS n FROM \(schema).tmi_identity_pending")
        #expect(try count.rows.first?.int("n") == 0)
        await client.close()
        await TestDatabase.dropSchema(schema)
    }

    /// Migration 13 on a database that already holds models: each row gets its own revision.
    @Test(.enabled(if: TestDatabase.shouldRun))
    func migration13GivesExistingModelsDistinctRevisions() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        let t = try PostgresTables(schema: schema)
        let client = try PostgresClient(url: url)
        _ = try await PostgresMigrations.run(client, t)
        // Back to version 12, with two models.
        try await client.execute("ALTER TABLE \(schema).tmi_threat_models DROP COLUMN revision")
        try await client.execute("DROP SEQUENCE \(schema).tmi_model_revision_seq")
        try await client.execute("DELETE FROM \(schema).tmi_schema_migrations WHERE version = 13")
        for id in ["a", "b"] {
            try await client.execute(
                "INSERT INTO \(schema).tmi_threat_models (id, fields) VALUES ($1, '{}')", [.text(id)])
        }
        #expect(try await PostgresMigrations.run(client, t) == [13])
        let rows = try await client.query("SELECT revision FROM \(schema).tmi_threat_models")
        let revisions = try rows.rows.map { try $0.int("revision") }
        #expect(revisions.count == 2 && Set(revisions).count == 2)
        await client.close()
        await TestDatabase.dropSchema(schema)
    }
}
