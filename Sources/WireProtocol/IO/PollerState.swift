import CTMISystem
import Glibc

/// A task parked on a descriptor.
struct IOWaiter {
    let id: UInt64
    let continuation: UnsafeContinuation<IOWaitResult, Never>
}

/// What the poller knows about one registered descriptor.
struct FDSlot {
    let generation: UInt32
    var readWaiter: IOWaiter?
    var writeWaiter: IOWaiter?
    /// An edge arrived while no task waited; the next wait returns at once.
    var readReady = false
    var writeReady = false
    /// The peer closed or the socket failed (EPOLLRDHUP/HUP/ERR seen). Sticky for reads: no
    /// further edge will come, and a read now returns 0 or the error at once. A reader that
    /// waits before reading (`TCPConnection` after a short read) must not park on it, since the
    /// event that reported the hang-up may have been consumed with the data before it.
    var hungUp = false

    init(generation: UInt32) { self.generation = generation }
}

/// The slots of a loop's descriptors, indexed by fd number: descriptor numbers are small and
/// dense (the kernel hands out the lowest free one), so a flat array answers the three or four
/// lookups of every request without hashing. It grows to the highest fd seen (about 60 bytes per
/// number) and never shrinks.
struct FDSlotTable {
    private var table: [FDSlot?] = []

    subscript(fd: Int32) -> FDSlot? {
        get { fd >= 0 && Int(fd) < table.count ? table[Int(fd)] : nil }
        set {
            guard fd >= 0 else { return }
            let index = Int(fd)
            if index >= table.count {
                guard newValue != nil else { return }
                table.grow(toInclude: index, filler: nil)
            }
            table[index] = newValue
        }
    }

    mutating func removeValue(forKey fd: Int32) { self[fd] = nil }
}

extension Array {
    /// Grows the array with `filler` so that `index` is valid, to at least twice its count: the
    /// poller's tables indexed by fd number grow a logarithmic number of times.
    mutating func grow(toInclude index: Int, filler: Element) {
        guard index >= count else { return }
        append(contentsOf: repeatElement(filler, count: Swift.max(index + 1, count * 2) - count))
    }
}

/// A loop's mutable state, only ever touched on its thread.
struct PollerState {
    var slots = FDSlotTable()
    var deadlines = DeadlineHeap()
    /// When the poller thread will wake on its own (its current `epoll_wait` timeout).
    var wakeAt = Int64.max

    static func key(_ fd: Int32, _ interest: IOInterest) -> Int { Int(fd) << 1 | interest.rawValue }

    /// Creates the slot of a new registration. A slot still there for the same fd number belongs
    /// to a descriptor closed elsewhere whose removal has not reached the loop yet: its waiters
    /// are ended (`.closed`) rather than forgotten.
    ///
    /// A slot of a *newer* generation wins instead: the registration being installed comes from
    /// another thread's message and its descriptor was closed, and its number reused and
    /// registered on the loop itself, before the message arrived. Returns whether it installed.
    @discardableResult
    mutating func install(_ registration: PollerRegistration, closing ready: inout [(IOWaiter, IOWaitResult)])
        -> Bool
    {
        if let old = slots[registration.fd] {
            // Generations grow by one per registration; compare them as serial numbers.
            guard Int32(bitPattern: registration.generation &- old.generation) > 0 else { return false }
            remove(PollerRegistration(fd: registration.fd, generation: old.generation), into: &ready)
        }
        slots[registration.fd] = FDSlot(generation: registration.generation)
        return true
    }

    /// Drops the registration (if still current) and ends its waiters with `.closed`.
    mutating func remove(_ registration: PollerRegistration, into ready: inout [(IOWaiter, IOWaitResult)]) {
        guard let slot = slots[registration.fd], slot.generation == registration.generation else { return }
        slots.removeValue(forKey: registration.fd)
        deadlines.remove(key: Self.key(registration.fd, .read))
        deadlines.remove(key: Self.key(registration.fd, .write))
        for waiter in [slot.readWaiter, slot.writeWaiter] {
            if let waiter { ready.append((waiter, .closed)) }
        }
    }

    /// Consumes a remembered edge without parking: `.ready` if one was there, `.closed` for a
    /// registration that is gone, nil when the caller must park.
    mutating func takeReady(_ registration: PollerRegistration, _ interest: IOInterest) -> IOWaitResult? {
        guard var slot = slots[registration.fd], slot.generation == registration.generation else {
            return .closed
        }
        switch interest {
        case .read:
            guard slot.readReady || slot.hungUp else { return nil }
            slot.readReady = false
        case .write:
            guard slot.writeReady else { return nil }
            slot.writeReady = false
        }
        slots[registration.fd] = slot
        return .ready
    }

    /// Installs a waiter, or answers at once. Returns whether the poller must be woken to pick up
    /// an earlier deadline.
    mutating func park(
        _ registration: PollerRegistration, _ interest: IOInterest, deadline: IODeadline?, waiter: IOWaiter
    ) -> (IOWaitResult?, Bool) {
        guard var slot = slots[registration.fd], slot.generation == registration.generation else {
            return (.closed, false)
        }
        if Task.isCancelled { return (.closed, false) }
        switch interest {
        case .read:
            if slot.readReady || slot.hungUp {
                slot.readReady = false
                slots[registration.fd] = slot
                return (.ready, false)
            }
        case .write:
            if slot.writeReady {
                slot.writeReady = false
                slots[registration.fd] = slot
                return (.ready, false)
            }
        }
        var wake = false
        if let deadline {
            if deadline.nanoseconds <= monotonicNanoseconds() { return (.timedOut, false) }
            deadlines.insert(key: Self.key(registration.fd, interest), deadline: deadline.nanoseconds)
            wake = deadline.nanoseconds < wakeAt
            if wake { wakeAt = deadline.nanoseconds }
        }
        switch interest {
        case .read: slot.readWaiter = waiter
        case .write: slot.writeWaiter = waiter
        }
        slots[registration.fd] = slot
        return (nil, wake)
    }

    /// Removes the waiter `id` if it is still parked (task cancellation).
    mutating func unpark(_ registration: PollerRegistration, _ interest: IOInterest, id: UInt64) -> IOWaiter?
    {
        guard var slot = slots[registration.fd], slot.generation == registration.generation else {
            return nil
        }
        let waiter: IOWaiter?
        switch interest {
        case .read:
            guard let w = slot.readWaiter, w.id == id else { return nil }
            waiter = w
            slot.readWaiter = nil
        case .write:
            guard let w = slot.writeWaiter, w.id == id else { return nil }
            waiter = w
            slot.writeWaiter = nil
        }
        slots[registration.fd] = slot
        deadlines.remove(key: Self.key(registration.fd, interest))
        return waiter
    }

    /// Handles one epoll event; events for a stale generation are dropped.
    mutating func deliver(token: UInt64, events: UInt32, into ready: inout [(IOWaiter, IOWaitResult)]) {
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: token))
        guard var slot = slots[fd], slot.generation == UInt32(truncatingIfNeeded: token >> 32) else { return }
        let failure = EPOLLHUP.rawValue | EPOLLERR.rawValue
        if events & (EPOLLRDHUP.rawValue | failure) != 0 { slot.hungUp = true }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | failure) != 0 {
            if let waiter = slot.readWaiter {
                slot.readWaiter = nil
                deadlines.remove(key: Self.key(fd, .read))
                ready.append((waiter, .ready))
            } else {
                slot.readReady = true
            }
        }
        if events & (EPOLLOUT.rawValue | failure) != 0 {
            if let waiter = slot.writeWaiter {
                slot.writeWaiter = nil
                deadlines.remove(key: Self.key(fd, .write))
                ready.append((waiter, .ready))
            } else {
                slot.writeReady = true
            }
        }
        slots[fd] = slot
    }

    /// Resumes every waiter whose deadline has passed with `.timedOut`.
    mutating func expireDeadlines(now: Int64, into ready: inout [(IOWaiter, IOWaitResult)]) {
        while let key = deadlines.popDue(now: now) {
            let fd = Int32(key >> 1)
            guard var slot = slots[fd] else { continue }
            if key & 1 == IOInterest.read.rawValue, let waiter = slot.readWaiter {
                slot.readWaiter = nil
                ready.append((waiter, .timedOut))
            } else if key & 1 == IOInterest.write.rawValue, let waiter = slot.writeWaiter {
                slot.writeWaiter = nil
                ready.append((waiter, .timedOut))
            }
            slots[fd] = slot
        }
    }

    /// The `epoll_wait` timeout that wakes the thread for the earliest deadline, and at least
    /// once a second: a new deadline further away than the next wake-up then needs no eventfd
    /// write (a 60 s idle deadline per request would otherwise often cost one).
    mutating func nextTimeoutMilliseconds(now: Int64) -> Int32 {
        let target = min(deadlines.earliest ?? .max, now + Self.maximumSleep)
        wakeAt = target
        if target <= now { return 0 }
        return Int32(clamping: (target - now + 999_999) / 1_000_000)
    }

    static let maximumSleep: Int64 = 1_000_000_000
}
