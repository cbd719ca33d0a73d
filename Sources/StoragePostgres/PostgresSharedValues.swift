import WireProtocol

/// Values that every node sharing the database must agree on and that one of them generates
/// (DESIGN §11: the identity signing key when no `--signing-key` is given). The first value kept
/// under a name wins: `INSERT ... ON CONFLICT DO NOTHING`, then read back, so two nodes starting
/// at once end up with the same value. Parameterized statements only.
public enum PostgresSharedValues {
    /// The value under `name` in `schema` of the database at `url`; when there is none, `candidate`
    /// is kept and returned. Migrates the schema first (a no-op once the store opened it).
    public static func keepFirst(url: String, schema: String, name: String, candidate: [UInt8]) async throws
        -> [UInt8]
    {
        let tables = try PostgresTables(schema: schema)
        let client = try PostgresClient(url: url)
        do {
            try await PostgresMigrations.run(client, tables)
            try await client.execute(
                "INSERT INTO \(tables.shared) (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                [.text(name), .bytea(candidate)])
            let rows = try await client.query(
                "SELECT value FROM \(tables.shared) WHERE name = $1", [.text(name)])
            guard let value = try rows.first?.bytes("value") else {
                throw PostgresSharedValuesError(description: "the shared value '\(name)' vanished")
            }
            await client.close()
            return value
        } catch {
            await client.close()
            throw error
        }
    }
}

public struct PostgresSharedValuesError: Error, Sendable, CustomStringConvertible {
    public var description: String
}
