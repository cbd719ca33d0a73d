import Synchronization
import Testing

@testable import WireProtocol

@Suite struct WebSocketTimersTests {
    final class Log: Sendable {
        let fired = Mutex<[String]>([])
        let signal = Mutex<[(Int, CheckedContinuation<Void, Never>)]>([])

        func record(_ name: String) {
            let count = fired.withLock {
                $0.append(name)
                return $0.count
            }
            let due = signal.withLock { s in
                defer { s.removeAll { $0.0 <= count } }
                return s.filter { $0.0 <= count }.map(\.1)
            }
            for d in due { d.resume() }
        }

        func waitFor(_ count: Int) async {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let now = fired.withLock { $0.count }
                if now >= count { return cont.resume() }
                signal.withLock { $0.append((count, cont)) }
                if fired.withLock({ $0.count }) >= count {
                    let c = signal.withLock { s in
                        defer { s.removeAll { $0.0 <= count } }
                        return s.filter { $0.0 <= count }.map(\.1)
                    }
                    for x in c { x.resume() }
                }
            }
        }
    }

    /// Timers fire in deadline order, a cancelled one never fires, and a timer scheduled earlier
    /// than the one being slept on wakes the service.
    @Test func firesInOrderHonoursCancelAndRearms() async {
        let clock = ManualClock()
        let timers = WebSocketTimers(clock: clock)
        let log = Log()
        timers.schedule(after: .seconds(30)) { log.record("30") }
        await clock.waitForSleepers(1)
        timers.schedule(after: .seconds(10)) { log.record("10") }
        let cancelled = timers.schedule(after: .seconds(20)) { log.record("20") }
        timers.cancel(cancelled)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(10))
        await log.waitFor(1)
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(20))
        await log.waitFor(2)
        #expect(log.fired.withLock { $0 } == ["10", "30"])
    }

    final class Freed: Sendable {
        let value = Mutex(false)
    }

    final class Held: Sendable {
        let freed: Freed
        init(_ freed: Freed) { self.freed = freed }
        func touch() {}
        deinit { freed.value.withLock { $0 = true } }
    }

    /// A cancel lets go of the action, and of what it holds, at once, not when the cancelled entry
    /// reaches its deadline: connections are held strongly by their timers' actions.
    @Test func aCancelReleasesTheActionAtOnce() async {
        let clock = ManualClock()
        let timers = WebSocketTimers(clock: clock)
        let freed = Freed()
        var id: UInt64 = 0
        do {
            let held = Held(freed)
            id = timers.schedule(after: .seconds(60)) { held.touch() }
        }
        await clock.waitForSleepers(1)
        #expect(!freed.value.withLock { $0 })
        timers.cancel(id)
        #expect(freed.value.withLock { $0 })
    }
}
