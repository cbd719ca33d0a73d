import Synchronization

/// A fixed number of `UInt64` counters, each an `Atomic` updated with relaxed ordering: many
/// threads add, a scrape reads, and nobody takes a lock. Counters are independent, so a reader
/// may see one counter ahead of another by a few increments; metrics tolerate that.
///
/// `@unchecked Sendable`: the buffer is allocated once in `init`, never resized, freed only in
/// `deinit`, and every access after `init` goes through the `Atomic` cells themselves.
public final class AtomicCounters: @unchecked Sendable {
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    public let count: Int

    public init(count: Int) {
        self.count = max(count, 1)
        cells = .allocate(capacity: self.count)
        for i in 0..<self.count { (cells + i).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: count)
        cells.deallocate()
    }

    /// Adds `n` to counter `index` (ignored when out of range: a metric must never crash).
    @inline(__always)
    public func add(_ index: Int, _ n: UInt64 = 1) {
        guard index >= 0 && index < count else { return }
        cells[index].wrappingAdd(n, ordering: .relaxed)
    }

    /// Subtracts `n` (gauges that go down).
    @inline(__always)
    public func subtract(_ index: Int, _ n: UInt64 = 1) {
        guard index >= 0 && index < count else { return }
        cells[index].wrappingSubtract(n, ordering: .relaxed)
    }

    public func load(_ index: Int) -> UInt64 {
        guard index >= 0 && index < count else { return 0 }
        return cells[index].load(ordering: .relaxed)
    }
}
