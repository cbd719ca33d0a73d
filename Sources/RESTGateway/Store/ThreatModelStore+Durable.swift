import Storage

/// The storage module's durable log is the store's journal as it is: `enqueue` keeps apply
/// order, `waitDurable` waits for group commit, `compact` writes the snapshot atomically.
extension DurableLog: StoreLog {}

extension ThreatModelStore {
    /// Opens the store kept in `directory` (snapshot `store.snapshot` plus journal), recovering
    /// every acknowledged change. Throws with the file at fault when the data cannot be read.
    public static func open(directory: String, compactEvery: Int = 5_000) async throws -> ThreatModelStore {
        let (log, recovery) = try await DurableLog.open(directory: directory, name: "store")
        let state = try recover(snapshot: recovery.snapshot, records: recovery.payloads)
        return ThreatModelStore(state: state, log: log, compactEvery: compactEvery)
    }
}
