import Synchronization

/// Deadlines of many connections served by one task per clock, instead of a sleeping task per
/// connection: an idle connection then costs a heap entry (~100 bytes), not a task (~3 KB).
///
/// The serving task exists only while a timer is pending. Time comes from the configured clock,
/// so tests drive every timeout with a manual clock and never sleep.
final class WebSocketTimers: Sendable {
    typealias Action = @Sendable () -> Void
    private let backend: any TimerBackend

    /// The process-wide service for the real clock.
    static let continuous = WebSocketTimers(clock: ContinuousClock())

    /// The shared service for `ContinuousClock`; any other clock (a test's) gets its own.
    static func service(for clock: any Clock<Duration>) -> WebSocketTimers {
        clock is ContinuousClock ? continuous : WebSocketTimers(clock: clock)
    }

    init<C: Clock<Duration>>(clock: C) {
        backend = ClockTimers(clock: clock)
    }

    /// Runs `action` once `delay` has passed, unless cancelled first. Returns the timer's id.
    @discardableResult
    func schedule(after delay: Duration, _ action: @escaping Action) -> UInt64 {
        backend.schedule(after: delay, action)
    }

    func cancel(_ id: UInt64) { backend.cancel(id) }
}

private protocol TimerBackend: Sendable {
    func schedule(after delay: Duration, _ action: @escaping WebSocketTimers.Action) -> UInt64
    func cancel(_ id: UInt64)
}

private final class ClockTimers<C: Clock<Duration>>: TimerBackend {
    struct Entry {
        var deadline: C.Instant
        var id: UInt64
    }
    struct State {
        /// A binary min-heap on deadline; cancelled entries are dropped when they surface.
        var heap: [Entry] = []
        /// The action of each timer still pending, by id. A cancel removes it at once, so what
        /// the action holds (a connection, strongly: see `WebSocketConnection.scheduleKeepalive`)
        /// is released then, not when the cancelled entry surfaces at its deadline.
        var actions: [UInt64: WebSocketTimers.Action] = [:]
        var nextID: UInt64 = 0
        var serving = false
        /// The deadline the serving task sleeps until, and how to wake it for an earlier one.
        var sleepingUntil: C.Instant?
        var wake: CheckedContinuation<Void, Never>?
    }

    let clock: C
    let state = Mutex(State())

    init(clock: C) { self.clock = clock }

    func schedule(after delay: Duration, _ action: @escaping WebSocketTimers.Action) -> UInt64 {
        let deadline = clock.now.advanced(by: delay)
        let (id, start, wake) = state.withLock { s -> (UInt64, Bool, CheckedContinuation<Void, Never>?) in
            s.nextID += 1
            s.push(Entry(deadline: deadline, id: s.nextID))
            s.actions[s.nextID] = action
            var wake: CheckedContinuation<Void, Never>?
            if let until = s.sleepingUntil, deadline < until {
                wake = s.wake
                s.wake = nil
                s.sleepingUntil = nil
            }
            let start = !s.serving
            s.serving = true
            return (s.nextID, start, wake)
        }
        wake?.resume()
        // The serving task belongs to the service, not to any one connection: it outlives the
        // connection that started it and ends by itself when no timer is left.
        if start { Task { await self.serve() } }
        return id
    }

    func cancel(_ id: UInt64) {
        // The removed action is released after the lock is: it may hold the last reference to a
        // connection.
        _ = state.withLock { s in s.actions.removeValue(forKey: id) }
    }

    private func serve() async {
        while true {
            let now = clock.now
            let (due, next) = state.withLock { s -> ([WebSocketTimers.Action], C.Instant?) in
                var due: [WebSocketTimers.Action] = []
                while let top = s.heap.first, top.deadline <= now {
                    if let action = s.actions.removeValue(forKey: s.pop().id) { due.append(action) }
                }
                while let top = s.heap.first, s.actions[top.id] == nil { _ = s.pop() }
                guard let next = s.heap.first?.deadline else {
                    s.serving = false
                    return (due, nil)
                }
                s.sleepingUntil = next
                return (due, next)
            }
            for action in due { action() }
            guard let next else { return }
            await sleep(until: next)
        }
    }

    /// Sleeps until `deadline`, or less when an earlier timer is scheduled meanwhile.
    private func sleep(until deadline: C.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.clock.sleep(until: deadline, tolerance: nil) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                        let resumeNow = self.state.withLock { s -> Bool in
                            guard s.sleepingUntil != nil, !Task.isCancelled else { return true }
                            s.wake = cont
                            return false
                        }
                        if resumeNow { cont.resume() }
                    }
                } onCancel: {
                    let wake = self.state.withLock { s in
                        defer { s.wake = nil }
                        return s.wake
                    }
                    wake?.resume()
                }
            }
            await group.next()
            group.cancelAll()
        }
        state.withLock { $0.sleepingUntil = nil }
    }
}

fileprivate extension ClockTimers.State {
    mutating func push(_ entry: ClockTimers.Entry) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> ClockTimers.Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var smallest = i
                if l < heap.count && heap[l].deadline < heap[smallest].deadline { smallest = l }
                if r < heap.count && heap[r].deadline < heap[smallest].deadline { smallest = r }
                guard smallest != i else { break }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        return top
    }
}
