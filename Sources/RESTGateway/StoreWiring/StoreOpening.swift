import Storage
import StoragePostgres

/// Which store a configuration names: PostgreSQL when `--database-url` is set, else the embedded
/// journal in `--data-dir/store` (the default, unchanged).
extension ServerConfiguration {
    /// A store that cannot be opened (bad URL, unreachable server, wrong password, unreadable
    /// files). The message names the problem and never contains the password.
    public struct StoreOpenError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Opens the configured store with every acknowledged change loaded.
    public func openStore(logger: Logger? = nil) async throws(StoreOpenError) -> ThreatModelStore {
        if let databaseURL {
            do {
                let (backend, state) = try await PostgresStore.open(url: databaseURL, schema: databaseSchema)
                { message in
                    logger?.error(message)
                }
                return ThreatModelStore(state: state, backend: backend)
            } catch {
                throw StoreOpenError(message: "cannot open the PostgreSQL store: \(error)")
            }
        }
        do {
            return try await ThreatModelStore.open(directory: dataDirectory + "/store")
        } catch {
            throw StoreOpenError(message: "cannot open the store in \(dataDirectory)/store: \(error)")
        }
    }

    /// A short description of the store for the start-up log (no password).
    public var storeDescription: String {
        guard let databaseURL else { return "embedded (\(dataDirectory)/store)" }
        return "postgresql (\(PostgresStore.redacted(databaseURL)))"
    }
}
