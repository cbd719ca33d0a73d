import CollabCore
import Synchronization

/// How long journal fsyncs take, process-wide, for the server's `/metrics`: the disk is shared
/// by every journal in the process, so one histogram over all of them is what an operator needs
/// to see a slow or stalling disk. Relaxed atomics; recording takes no lock.
public enum StorageMetrics {
    /// Every successful journal batch `fdatasync` (one per group commit).
    public static let journalFsyncLatency = LatencyHistogram()
}
