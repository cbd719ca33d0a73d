import RESTGateway
import TestSupport

/// The store a live test server runs on. End-to-end suites that exercise the store take it as a
/// test argument over `TestStore.all`: the embedded store always, PostgreSQL too when
/// `TMI_TEST_DATABASE_URL` is set (and in CI, where its absence then fails the PostgreSQL runs).
enum TestStore: Sendable, CustomStringConvertible {
    case embedded
    /// A fresh schema of the test database per server; a restart passes the same schema.
    case postgresql(schema: String)

    static var all: [TestStore] {
        TestDatabase.shouldRun ? [.embedded, .postgresql(schema: TestDatabase.freshSchema())] : [.embedded]
    }

    var description: String {
        switch self {
        case .embedded: "embedded"
        case .postgresql: "postgresql"
        }
    }

    /// Points `configuration` at this store (the data directory stays for identity files).
    func configure(_ configuration: inout ServerConfiguration) throws {
        guard case .postgresql(let schema) = self else { return }
        configuration.databaseURL = try TestDatabase.requireURL()
        configuration.databaseSchema = schema
    }

    /// The flags that select this store for a `tmi-server` process.
    func arguments() throws -> [String] {
        guard case .postgresql(let schema) = self else { return [] }
        return ["--database-url", try TestDatabase.requireURL(), "--database-schema", schema]
    }

    /// Drops the PostgreSQL schema (the embedded store's directory is the test's to remove).
    func destroy() async {
        if case .postgresql(let schema) = self { await TestDatabase.dropSchema(schema) }
    }
}
