import Synchronization

/// `RunMetrics` shared by every editor task. A mutex rather than an actor: each update is a few
/// dictionary operations, and editors must not queue behind one another to record a receipt.
public final class MetricsRecorder: Sendable {
    let state = Mutex(RunMetrics())

    public init() {}

    public func update<T>(_ body: (inout RunMetrics) -> T) -> T {
        state.withLock { body(&$0) }
    }

    public var snapshot: RunMetrics { state.withLock { $0 } }
}
