import CTMISystem
import Glibc
import Synchronization
import Testing

@testable import WireProtocol

@Suite struct PollerTests {
    @Test func eventsForAnOlderGenerationOfADescriptorAreDropped() {
        var state = PollerState()
        state.slots[9] = FDSlot(generation: 2)
        var ready: [(IOWaiter, IOWaitResult)] = []
        let stale = PollerRegistration(fd: 9, generation: 1).token
        state.deliver(token: stale, events: EPOLLIN.rawValue | EPOLLOUT.rawValue, into: &ready)
        #expect(state.slots[9]?.readReady == false)
        #expect(state.slots[9]?.writeReady == false)
        let current = PollerRegistration(fd: 9, generation: 2).token
        state.deliver(token: current, events: EPOLLIN.rawValue, into: &ready)
        #expect(state.slots[9]?.readReady == true)
        #expect(state.slots[9]?.writeReady == false)
    }

    @Test func aReusedDescriptorNumberGetsANewGeneration() async throws {
        let first = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let firstRegistration = first.descriptor.registration
        first.close()
        let second = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let secondRegistration = second.descriptor.registration
        #expect(firstRegistration != secondRegistration)
        #expect(firstRegistration.generation != secondRegistration.generation)
        second.close()
    }

    @Test func farDeadlinesDoNotWakeThePollerButNearOnesDo() async {
        var state = PollerState()
        state.slots[3] = FDSlot(generation: 1)
        let now = monotonicNanoseconds()
        #expect(state.nextTimeoutMilliseconds(now: now) == 1000)
        let registration = PollerRegistration(fd: 3, generation: 1)
        let far = IODeadline(nanoseconds: now + 60_000_000_000)
        let near = IODeadline(nanoseconds: now + 100_000_000)
        // Parking needs a continuation; each is resumed at once, only the bookkeeping matters.
        var farWake = true
        _ = await withUnsafeContinuation { (c: UnsafeContinuation<IOWaitResult, Never>) in
            farWake =
                state.park(registration, .read, deadline: far, waiter: IOWaiter(id: 1, continuation: c)).1
            c.resume(returning: .closed)
        }
        #expect(!farWake)
        var nearWake = false
        _ = await withUnsafeContinuation { (c: UnsafeContinuation<IOWaitResult, Never>) in
            nearWake =
                state.park(registration, .write, deadline: near, waiter: IOWaiter(id: 2, continuation: c)).1
            c.resume(returning: .closed)
        }
        #expect(nearWake)
        var ready: [(IOWaiter, IOWaitResult)] = []
        state.expireDeadlines(now: now + 200_000_000, into: &ready)
        #expect(ready.map(\.0.id) == [2])
        #expect(ready.first.map { $0.1 == .timedOut } == true)
    }

    /// `runSoon` runs its action on the loop thread: sent as a message from elsewhere, and from
    /// the loop itself only after the job that asked has run on.
    @Test func runSoonRunsOnTheLoopAfterTheCallersJob() async {
        let loop = IOLoops.loop(0)
        let fromElsewhere = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            loop.runSoon { done.resume(returning: Poller.current === loop) }
        }
        #expect(fromElsewhere)
        let order = Mutex<[String]>([])
        let onLoop = await Task(executorPreference: loop) {
            await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                order.withLock { $0.append("job") }
                loop.runSoon {
                    order.withLock { $0.append("action") }
                    done.resume(returning: Poller.current === loop)
                }
                order.withLock { $0.append("job continues") }
            }
        }.value
        #expect(onLoop)
        #expect(order.withLock { $0 } == ["job", "job continues", "action"])
    }

    /// `runAfter` runs its action on the loop thread, never before its delay, from another
    /// thread or from the loop itself; a later timer added first still runs after an earlier
    /// one, and the loop's timerfd is set again for it once the first has run.
    @Test func runAfterRunsOnTheLoopOnceItsDelayHasPassedEarliestFirst() async {
        let loop = IOLoops.loop(0)
        let order = Mutex<[String]>([])
        let start = monotonicNanoseconds()
        let results = await withCheckedContinuation { (done: CheckedContinuation<[(Bool, Int64)], Never>) in
            let seen = Mutex<[(Bool, Int64)]>([])
            @Sendable func record(_ name: String) {
                let elapsed = monotonicNanoseconds() - start
                order.withLock { $0.append(name) }
                let all = seen.withLock { seen in
                    seen.append((Poller.current === loop, elapsed))
                    return seen
                }
                if all.count == 3 { done.resume(returning: all) }
            }
            loop.runAfter(.milliseconds(30)) { record("late") }
            loop.runAfter(.milliseconds(5)) {
                record("early")
                // From the loop itself, due after "late": the timerfd is set again for it.
                loop.runAfter(.milliseconds(40)) { record("from the loop") }
            }
        }
        #expect(order.withLock { $0 } == ["early", "late", "from the loop"])
        #expect(results.allSatisfy { $0.0 })
        #expect(results[0].1 >= 5_000_000)
        #expect(results[1].1 >= 30_000_000)
        #expect(results[2].1 >= 45_000_000)
    }
}
