/// The embedded backend and the default (DESIGN §7): one `DurableLog` named `store` in the data
/// directory, whose records are batches (`StoreCodec`) and whose snapshot is the whole state as
/// JSON. Group commit, torn-tail recovery and atomic snapshots are the log's.
public final class EmbeddedStore: Store {
    let log: DurableLog
    public let snapshotEvery: Int?

    init(log: DurableLog, snapshotEvery: Int) {
        self.log = log
        self.snapshotEvery = snapshotEvery
    }

    /// Opens the store kept in `directory` (snapshot `store.snapshot` plus journal) and returns
    /// it with every acknowledged change recovered. Throws with the file at fault when the data
    /// cannot be read.
    public static func open(
        directory: String, compactEvery: Int = 5_000, options: StorageOptions = StorageOptions()
    ) async throws -> (store: EmbeddedStore, state: StoreState) {
        let (log, recovery) = try await DurableLog.open(directory: directory, name: "store", options: options)
        let state = try ThreatModelStore.recover(snapshot: recovery.snapshot, records: recovery.payloads)
        return (EmbeddedStore(log: log, snapshotEvery: compactEvery), state)
    }

    public var acceptsWrites: Bool { log.acceptsWrites }
    public var durableTicket: UInt64? { log.durableSequence }
    public var failedThrough: UInt64? { log.failedThrough }
    public func resumeAfterFailure() -> UInt64? { log.resumeAfterFailure() }

    public func enqueue(_ batch: [StoreMutation]) throws(StoreUnavailable) -> UInt64 {
        do {
            return try log.enqueue(StoreCodec.encode(batch: batch))
        } catch {
            throw Self.unavailable(error)
        }
    }

    public func waitDurable(_ ticket: UInt64) async throws(StoreUnavailable) {
        do {
            try await log.waitDurable(ticket)
        } catch {
            throw Self.unavailable(error)
        }
    }

    public func snapshot(_ state: StoreState, through ticket: UInt64) async {
        let bytes = StoreCodec.encode(snapshot: state)
        // A failed compaction loses nothing: the journal still holds every record.
        try? await log.compact(snapshot: bytes, through: ticket)
    }

    public func close() async { await log.close() }

    static func unavailable(_ error: StorageError) -> StoreUnavailable {
        StoreUnavailable("the journal refused the change: \(error)", isDiskFull: error.isDiskFull)
    }
}

extension ThreatModelStore {
    /// The embedded store kept in `directory`, every acknowledged change recovered.
    public static func open(directory: String, compactEvery: Int = 5_000) async throws -> ThreatModelStore {
        let (backend, state) = try await EmbeddedStore.open(directory: directory, compactEvery: compactEvery)
        return ThreatModelStore(state: state, backend: backend)
    }
}
