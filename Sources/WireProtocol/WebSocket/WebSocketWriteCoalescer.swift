import Synchronization

/// Holds back the writes of busy server connections (`WebSocketConfiguration.writeCoalescing`)
/// and starts their writers together: one ticker per I/O loop for all its connections, not one
/// timer per connection.
///
/// How long a write waits grows with how many of the loop's connections are waiting, 40 µs
/// each, up to the configured delay: so a loop makes at most about 25,000 writes a second
/// however many sockets it serves, while a few busy sockets (50 editors) wait well under a
/// millisecond and 250 on one loop (500 editors over two loops) gather about 10 ms of frames
/// into each write. A connection that wrote longer ago than that writes at once.
final class WebSocketWriteCoalescer: Sendable {
    private struct State {
        var waiting: [(due: ContinuousClock.Instant, connection: WebSocketConnection)] = []
        var ticking = false
    }

    private let state = Mutex(State())
    let loop: Poller?
    let maximumDelay: Duration
    static let perConnection: Duration = .microseconds(40)
    static let shortestTick: Duration = .microseconds(250)

    private init(loop: Poller?, maximumDelay: Duration) {
        self.loop = loop
        self.maximumDelay = maximumDelay
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

    /// The current delay for `waiting` connections.
    private func delay(waiting: Int) -> Duration {
        min(maximumDelay, Self.perConnection * (waiting + 1))
    }

    /// Called with `connection`'s writer marked active and frames queued: true when the write
    /// was deferred (the coalescer starts the writer later), false to write now.
    func deferWrite(_ connection: WebSocketConnection, lastWrite: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        let start = state.withLock { s -> Bool? in
            let due = lastWrite.advanced(by: delay(waiting: s.waiting.count))
            guard due > now else { return nil }
            s.waiting.append((due, connection))
            if s.ticking { return false }
            s.ticking = true
            return true
        }
        guard let start else { return false }
        // Unstructured on purpose: the ticker lives only while connections wait.
        if start { Task(executorPreference: loop) { await self.tick() } }
        return true
    }

    /// While connections wait: every half delay, start the writers due within the next half.
    private func tick() async {
        while true {
            let now = ContinuousClock.now
            let (ready, pause) = state.withLock { s -> ([WebSocketConnection], Duration?) in
                let half = max(delay(waiting: s.waiting.count) / 2, Self.shortestTick)
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
            try? await Task.sleep(for: pause, tolerance: .zero, clock: .continuous)
        }
    }
}
