import Synchronization

/// Holds back the writes of busy server connections (`WebSocketConfiguration.writeCoalescing`)
/// and has their writers run together: one ticker per I/O loop for all its connections, not one
/// timer per connection. The ticker is a timer of the loop itself (`Poller.runAfter`), so a tick
/// wakes only the loop, which writes.
///
/// A loop writes at once while it makes fewer than 25,000 writes a second (counted over the
/// last window, one configured delay long). Past that budget, a connection that wrote moments
/// ago waits 160 µs for every write of the window beyond it, up to the configured delay, and
/// sends everything queued meanwhile in one write: 250 busy sockets on one loop (500 editors
/// over two loops, a frame every 2 ms on each) settle at about 30,000 writes a second, each
/// socket writing every 8 ms, while 50 editors at 10 op/s or 200 at 1 op/s stay under the
/// budget and wait for nothing. The count is of writes, not of connections waiting: a
/// connection waits only while the delay is longer than its frames' spacing, so counting the
/// waiting ones kept the delay short exactly when many sockets wrote.
final class WebSocketWriteCoalescer: Sendable {
    private struct State {
        var waiting: [(due: ContinuousClock.Instant, connection: WebSocketConnection)] = []
        var ticking = false
        /// The current window of the write count, and the count of the window before it.
        var windowStart = ContinuousClock.now
        var lastWindowWrites = 0
    }

    private let state = Mutex(State())
    /// Writes made by this loop's coalesced connections in the current window.
    private let writes = Atomic<Int>(0)
    let loop: Poller?
    /// The loop whose timer ticks: the connections' own, else the first loop.
    private let ticker: Poller
    let maximumDelay: Duration
    /// Writes a second a loop makes before any write waits.
    static let writeBudget = 25_000
    /// The wait for each write of the last window past the budget.
    static let perExcessWrite: Duration = .microseconds(160)
    /// `writeBudget` over one window.
    let budgetPerWindow: Int
    static let shortestTick: Duration = .microseconds(250)

    private init(loop: Poller?, maximumDelay: Duration) {
        self.loop = loop
        self.ticker = loop ?? Poller.shared
        self.maximumDelay = maximumDelay
        self.budgetPerWindow = Int(Double(Self.writeBudget) * (maximumDelay / .seconds(1)))
    }

    private static let shared = Mutex<[String: WebSocketWriteCoalescer]>([:])

    /// The coalescer of `loop` for `delay` (made once and kept for the life of the process, like
    /// the loops themselves).
    static func coalescer(loop: Poller?, delay: Duration) -> WebSocketWriteCoalescer {
        let key = "\(loop?.index ?? -1)/\(delay)"
        return shared.withLock { table in
            if let existing = table[key] { return existing }
            let made = WebSocketWriteCoalescer(loop: loop, maximumDelay: delay)
            table[key] = made
            return made
        }
    }

    /// A coalesced connection wrote (its writer, on the loop).
    func recordWrite() {
        writes.add(1, ordering: .relaxed)
    }

    /// The current delay, from the writes of the last full window past the budget (under the
    /// lock); rolls the window over when it has run its length. A window that ran long (the loop
    /// was quiet) counts as its rate over one window's length.
    private func delay(_ s: inout State, now: ContinuousClock.Instant) -> Duration {
        let elapsed = s.windowStart.duration(to: now)
        if elapsed >= maximumDelay {
            let counted = writes.exchange(0, ordering: .relaxed)
            s.lastWindowWrites = Int(Double(counted) * (maximumDelay / elapsed))
            s.windowStart = now
        }
        let excess = s.lastWindowWrites - budgetPerWindow
        guard excess > 0 else { return .zero }
        return min(maximumDelay, Self.perExcessWrite * excess)
    }

    /// The delay a write deferred at `now` would get (tests).
    func currentDelay(at now: ContinuousClock.Instant) -> Duration {
        state.withLock { delay(&$0, now: now) }
    }

    /// Called with `connection`'s writer marked active and frames queued: true when the write
    /// was deferred (the coalescer starts the writer later), false to write now.
    func deferWrite(_ connection: WebSocketConnection, lastWrite: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        let start = state.withLock { s -> Bool? in
            let due = lastWrite.advanced(by: delay(&s, now: now))
            guard due > now else { return nil }
            s.waiting.append((due, connection))
            if s.ticking { return false }
            s.ticking = true
            return true
        }
        guard let start else { return false }
        // Not now: the caller holds the connection's lock, which the writers' turns take.
        if start { ticker.runSoon { self.tick() } }
        return true
    }

    /// While connections wait: every half delay, run the writers due within the next half (on
    /// the ticker's loop thread).
    private func tick() {
        let now = ContinuousClock.now
        let (ready, pause) = state.withLock { s -> ([WebSocketConnection], Duration?) in
            let half = max(delay(&s, now: now) / 2, Self.shortestTick)
            let horizon = now.advanced(by: half)
            var ready: [WebSocketConnection] = []
            s.waiting.removeAll { entry in
                guard entry.due <= horizon else { return false }
                ready.append(entry.connection)
                return true
            }
            if s.waiting.isEmpty {
                s.ticking = false
                return (ready, nil)
            }
            return (ready, half)
        }
        for connection in ready { connection.writeQueued() }
        guard let pause else { return }
        ticker.runAfter(pause) { self.tick() }
    }
}
