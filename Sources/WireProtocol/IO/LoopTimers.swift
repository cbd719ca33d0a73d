/// Actions an I/O loop runs at a given time (`Poller.runAfter`), earliest first; actions due at
/// the same time run in the order they were added. Loop-thread only, like the rest of a loop's
/// state.
///
/// For the few periodic jobs that belong on a loop (the WebSocket write coalescer's ticks), so
/// they cost the loop a timer instead of a `Task.sleep`: a sleeping task is woken by the
/// concurrency runtime's timer thread and a pool thread before its job reaches the loop, three
/// threads for one tick. A sorted array: a loop holds a handful of timers, not one per socket
/// (deadlines of reads and writes live in `DeadlineHeap`).
struct LoopTimers {
    private var entries: [(due: Int64, action: @Sendable () -> Void)] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    /// When the earliest action is due (monotonic nanoseconds).
    var earliest: Int64? { entries.first?.due }

    /// Adds `action`, due at `due`, after every action due at or before that time.
    mutating func add(due: Int64, _ action: @escaping @Sendable () -> Void) {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].due <= due { low = middle + 1 } else { high = middle }
        }
        entries.insert((due, action), at: low)
    }

    /// Removes and returns the actions due at or before `now`, in the order they are to run.
    mutating func takeDue(now: Int64) -> [@Sendable () -> Void] {
        var count = 0
        while count < entries.count && entries[count].due <= now { count += 1 }
        guard count > 0 else { return [] }
        let due = entries[0..<count].map(\.action)
        entries.removeFirst(count)
        return due
    }
}
