import Testing

@testable import WireProtocol

@Suite struct WebSocketWriteCoalescerTests {
    /// No wait while the loop's last full window (one maximum delay long) stayed within the
    /// budget of 25,000 writes a second; past it, 160 µs per write beyond, capped at the maximum.
    /// A window that ran long counts at its rate over one window.
    @Test func theDelayFollowsTheWritesOfTheLastWindowPastTheBudget() {
        // A delay no other test uses: coalescers are shared per loop and delay.
        let window: Duration = .milliseconds(10) + .nanoseconds(4_321)
        let coalescer = WebSocketWriteCoalescer.coalescer(loop: nil, delay: window)
        #expect(coalescer.budgetPerWindow == 250)
        let start = ContinuousClock.now.advanced(by: window)
        #expect(coalescer.currentDelay(at: start) == .zero)  // rolls a quiet window
        func write(_ count: Int) { for _ in 0..<count { coalescer.recordWrite() } }
        write(250)
        // Mid-window the count of the window before still holds.
        #expect(coalescer.currentDelay(at: start.advanced(by: window / 2)) == .zero)
        #expect(coalescer.currentDelay(at: start.advanced(by: window)) == .zero)  // within budget
        write(300)
        #expect(coalescer.currentDelay(at: start.advanced(by: window * 2)) == .microseconds(160 * 50))
        write(1000)
        #expect(coalescer.currentDelay(at: start.advanced(by: window * 3)) == window)
        // 560 writes over two windows' time: 280 a window.
        write(560)
        #expect(coalescer.currentDelay(at: start.advanced(by: window * 5)) == .microseconds(160 * 30))
        #expect(coalescer.currentDelay(at: start.advanced(by: window * 6)) == .zero)
    }
}
