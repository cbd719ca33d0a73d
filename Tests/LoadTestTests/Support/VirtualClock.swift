import Synchronization

@testable import LoadTestKit

/// Virtual time for runner tests: `sleep(until:)` moves time forward to the deadline at once
/// (never backwards) and yields so other tasks get to run. Runs take no real time; pacing is
/// still exercised because the runner counts operations by their slot in the schedule.
final class VirtualClock: LoadTestClock {
    let time = Mutex<Duration>(.zero)

    func now() -> Duration { time.withLock { $0 } }

    func sleep(until deadline: Duration) async throws {
        try Task.checkCancellation()
        time.withLock { $0 = Swift.max($0, deadline) }
        for _ in 0..<8 { await Task.yield() }
        try Task.checkCancellation()
    }
}
