import Synchronization
import Testing

@testable import WireProtocol

/// A loop's timers (`LoopTimers`): earliest first, ties in the order added, and only what is
/// due leaves.
@Suite struct LoopTimersTests {
    @Test func dueActionsLeaveEarliestFirstWithTiesInTheOrderAdded() {
        let ran = Mutex<[String]>([])
        var timers = LoopTimers()
        #expect(timers.isEmpty)
        #expect(timers.earliest == nil)
        for (name, due) in [("c", 30), ("a", 10), ("b", 20), ("a2", 10), ("d", 40)] {
            timers.add(due: Int64(due)) { ran.withLock { $0.append(name) } }
        }
        #expect(timers.count == 5)
        #expect(timers.earliest == 10)
        #expect(timers.takeDue(now: 9).isEmpty)
        for action in timers.takeDue(now: 20) { action() }
        #expect(ran.withLock { $0 } == ["a", "a2", "b"])
        #expect(timers.count == 2)
        #expect(timers.earliest == 30)
        for action in timers.takeDue(now: .max) { action() }
        #expect(ran.withLock { $0 } == ["a", "a2", "b", "c", "d"])
        #expect(timers.isEmpty)
    }

    /// A timer's due time: the delay after now, never before now, never more than a year on (so
    /// the sum cannot overflow).
    @Test func aDueTimeIsTheClampedDelayAfterNow() {
        let now: Int64 = 5_000_000_000
        #expect(Poller.due(after: .microseconds(1_500), now: now) == now + 1_500_000)
        #expect(Poller.due(after: .seconds(-3), now: now) == now)
        let year = Int64(366 * 86_400) * 1_000_000_000
        #expect(Poller.due(after: .seconds(Int64.max), now: now) == now + year)
    }
}
