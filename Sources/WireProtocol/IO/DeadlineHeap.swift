/// A binary min-heap of deadlines keyed by an integer, with removal by key.
///
/// The poller keeps one entry per task that waits with a deadline (key = fd and direction), and
/// removes the entry as soon as the wait ends, so the heap never holds more entries than there are
/// waiting tasks — unlike a lazy heap, which would accumulate one stale entry per request.
///
/// Keys are small and dense (twice the fd number, plus the direction), so each entry's position
/// is kept in an array indexed by key: every request inserts and removes one entry, and each
/// step of a sift moves two positions, which a dictionary would hash.
struct DeadlineHeap {
    private var items: [(deadline: Int64, key: Int)] = []
    /// `positions[key]` is the entry's index in `items`, or -1.
    private var positions: [Int] = []

    var earliest: Int64? { items.first?.deadline }
    var count: Int { items.count }

    /// Adds `key`, or moves it if present.
    mutating func insert(key: Int, deadline: Int64) {
        precondition(key >= 0, "negative deadline key")
        positions.grow(toInclude: key, filler: -1)
        if positions[key] >= 0 { remove(key: key) }
        items.append((deadline, key))
        positions[key] = items.count - 1
        siftUp(items.count - 1)
    }

    mutating func remove(key: Int) {
        guard key >= 0, key < positions.count, positions[key] >= 0 else { return }
        let position = positions[key]
        positions[key] = -1
        let last = items.count - 1
        if position != last {
            items.swapAt(position, last)
            positions[items[position].key] = position
        }
        items.removeLast()
        if position < items.count {
            siftDown(position)
            siftUp(position)
        }
    }

    /// Removes and returns the key of the earliest entry if it is due at `now`.
    mutating func popDue(now: Int64) -> Int? {
        guard let first = items.first, first.deadline <= now else { return nil }
        remove(key: first.key)
        return first.key
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { return }
            swapItems(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            var smallest = left
            let right = left + 1
            if right < items.count && items[right].deadline < items[left].deadline { smallest = right }
            guard items[smallest].deadline < items[parent].deadline else { return }
            swapItems(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapItems(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        positions[items[a].key] = a
        positions[items[b].key] = b
    }
}
