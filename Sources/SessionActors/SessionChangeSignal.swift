import Synchronization

/// Tells watchers (the operator console's live feed) that some session changed: someone joined or
/// left, an operation was accepted, the presenter changed, a session started or ended.
///
/// It carries no data: a watcher re-reads what it shows, so a burst of changes costs one read.
/// Each subscriber holds at most one pending signal (`bufferingNewest(1)`), so a slow watcher
/// never makes the sessions queue anything.
public final class SessionChangeSignal: Sendable {
    private struct State {
        var nextID = 0
        var subscribers: [Int: AsyncStream<Void>.Continuation] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// A stream that yields once after each burst of changes, until the caller stops iterating.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func notify() {
        for c in state.withLock({ Array($0.subscribers.values) }) { c.yield() }
    }

    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}

/// Accepted operations per one-second bucket over the last minute, for the console's rate column.
/// Fixed size (60 buckets) whatever the traffic.
struct OperationRate: Sendable {
    static let window = 60
    private var buckets = [(second: Int64, count: Int)](repeating: (-1, 0), count: window)

    mutating func record(at now: Double) {
        let second = Int64(now.rounded(.down))
        let i = Int(second % Int64(Self.window))
        if buckets[i].second == second {
            buckets[i].count += 1
        } else {
            buckets[i] = (second, 1)
        }
    }

    /// Operations accepted in the minute up to `now` (the current second included).
    func lastMinute(at now: Double) -> Int {
        let second = Int64(now.rounded(.down))
        return buckets.reduce(0) { sum, b in
            b.second > second - Int64(Self.window) && b.second <= second ? sum + b.count : sum
        }
    }
}
