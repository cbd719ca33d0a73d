import Testing

@testable import WireProtocol

/// How long an I/O loop polls before it sleeps (`IdlePolling`): the whole budget while polling
/// finds work, half as much after each wait that polled in vain, never below one poll unless the
/// limit turns polling off.
@Suite struct IdlePollingTests {
    @Test func eachWaitThatSleptHalvesTheBudgetDownToOnePoll() {
        var idle = IdlePolling(limit: 32)
        #expect(idle.polls(limit: 32) == 32)
        var seen: [Int] = []
        for _ in 0..<7 {
            idle.slept()
            seen.append(idle.polls(limit: 32))
        }
        #expect(seen == [16, 8, 4, 2, 1, 1, 1])
    }

    @Test func findingWorkWhilePollingRestoresTheWholeBudget() {
        var idle = IdlePolling(limit: 32)
        for _ in 0..<10 { idle.slept() }
        #expect(idle.polls(limit: 32) == 1)
        idle.found(limit: 32)
        #expect(idle.polls(limit: 32) == 32)
        // A limit raised since the budget was set counts from the next success on.
        #expect(idle.polls(limit: 64) == 32)
        idle.found(limit: 64)
        #expect(idle.polls(limit: 64) == 64)
    }

    @Test func theLimitInForceCapsTheBudgetAndZeroTurnsPollingOff() {
        let idle = IdlePolling(limit: 32)
        #expect(idle.polls(limit: 8) == 8)
        #expect(idle.polls(limit: 0) == 0)
        #expect(idle.polls(limit: -3) == 0)
        // A loop created with polling off polls once when a server turns it on, then adapts.
        var off = IdlePolling(limit: 0)
        #expect(off.polls(limit: 0) == 0)
        #expect(off.polls(limit: 16) == 1)
        off.found(limit: 16)
        #expect(off.polls(limit: 16) == 16)
    }
}
