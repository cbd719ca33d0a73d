import Synchronization

@testable import LoadTestKit

/// Virtual time for runner tests: `sleep(until:)` moves time forward to the deadline at once
/// (never backwards) and yields so other tasks get to run. Runs take no real time; pacing is
/// still exercised because the runner counts operations by their slot in the schedule.
///
/// Time only moves once `isSettled` holds (for a `FakeServer`: every message it sent has been
/// handled by its reader), so a receipt is stamped with the virtual time of its send, however
/// late a busy thread pool runs the reader. Without that wait, time could race past the end of
/// the measuring window before any reader ran, and no receipt would count.
final class VirtualClock: LoadTestClock {
    let time = Mutex<Duration>(.zero)
    let isSettled: @Sendable () -> Bool

    /// Enough for any reader to catch up on a saturated pool; a bound only so that a reader that
    /// never returns turns into a failed expectation rather than a hung test.
    static let maxSettleYields = 1_000_000

    init(settledWhen isSettled: @escaping @Sendable () -> Bool = { true }) {
        self.isSettled = isSettled
    }

    func now() -> Duration { time.withLock { $0 } }

    func sleep(until deadline: Duration) async throws {
        try Task.checkCancellation()
        var yields = 0
        while !isSettled() && yields < Self.maxSettleYields {
            await Task.yield()
            yields += 1
        }
        time.withLock { $0 = Swift.max($0, deadline) }
        for _ in 0..<8 { await Task.yield() }
        try Task.checkCancellation()
    }
}
