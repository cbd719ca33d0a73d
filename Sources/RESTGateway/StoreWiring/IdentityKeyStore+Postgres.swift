import Identity
import StoragePostgres

/// The identity service's shared-key store on the PostgreSQL backend: the generated signing key
/// lives in the database (`tmi_identity_shared`), so every node started with the same
/// `--database-url` signs and verifies with the same key (DESIGN §11). Chosen exactly when
/// `--database-url` is set; the embedded store keeps the key in the data directory as before.
struct PostgresIdentityKeyStore: IdentityKeyStore {
    let url: String
    let schema: String

    func keepFirst(_ name: String, candidate: [UInt8]) async throws -> [UInt8] {
        try await PostgresSharedValues.keepFirst(url: url, schema: schema, name: name, candidate: candidate)
    }
}

extension ServerConfiguration {
    /// Where a generated signing key is shared between nodes: the PostgreSQL store when there is
    /// one, else nil (the data directory's file).
    var identityKeyStore: (any IdentityKeyStore)? {
        guard let databaseURL else { return nil }
        return PostgresIdentityKeyStore(url: databaseURL, schema: databaseSchema)
    }
}
