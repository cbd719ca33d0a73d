import CollabCore
import Synchronization

/// Keeps every record and snapshot in memory, in call order; tests read them back, and can make
/// `append` fail to exercise the session's failure path.
public final class RecordingSessionPersistence: SessionPersistence {
    public struct Failure: Error, Equatable {}

    private struct Store {
        var records: [OperationRecord] = []
        var snapshots: [DiagramSnapshot] = []
        var failAppends = false
    }

    private let store = Mutex(Store())

    public init() {}

    public var records: [OperationRecord] { store.withLock { $0.records } }
    public var snapshots: [DiagramSnapshot] { store.withLock { $0.snapshots } }

    /// From now on `append` throws `Failure` (or succeeds again with `false`).
    public func failAppends(_ fail: Bool) { store.withLock { $0.failAppends = fail } }

    public func append(_ record: OperationRecord) async throws {
        try store.withLock {
            if $0.failAppends { throw Failure() }
            $0.records.append(record)
        }
    }

    public func snapshotAvailable(_ snapshot: DiagramSnapshot) {
        store.withLock { $0.snapshots.append(snapshot) }
    }
}
