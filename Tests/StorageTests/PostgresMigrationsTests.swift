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
        #expect(PostgresMigrations.all(t).map(\.version) == [1, 2, 10, 11, 12])
    }

    @Test(.enabled(if: TestDatabase.shouldRun))
    func aDatabaseAtVersion11GainsOnlyMigration12() async throws {
        let url = try TestDatabase.requireURL()
        let schema = TestDatabase.freshSchema()
        let t = try PostgresTables(schema: schema)
        let client = try PostgresClient(url: url)
        #expect(try await PostgresMigrations.run(client, t) == [1, 2, 10, 11, 12])
        #expect(try await PostgresMigrations.run(client, t) == [])
        // Back to how a deployed database at version 11 looks.
        try await client.execute("DROP TABLE \(schema).tmi_identity_pending")
        try await client.execute("DELETE FROM \(schema).tmi_schema_migrations WHERE version = 12")
        #expect(try await PostgresMigrations.currentVersion(client, t) == 11)
        #expect(try await PostgresMigrations.run(client, t) == [12])
        #expect(try await PostgresMigrations.currentVersion(client, t) == 12)
        let count = try await client.query("SELECT count(*) AS n FROM \(schema).tmi_identity_pending")
        #expect(try count.rows.first?.int("n") == 0)
        await client.close()
        await TestDatabase.dropSchema(schema)
    }
}
