/// The bookkeeping that lets `ThreatModelStore` take back changes whose write failed (see the
/// type's comment): the state as of the last durable batch, the batches applied since, and the
/// store's own tickets that were lost to a failure.
struct DurabilityTracking {
    struct Unconfirmed {
        var ticket: UInt64
        var backendTicket: UInt64
        var batch: [StoreMutation]
    }

    enum Lookup: Equatable {
        case durable
        case lost
        case wait(UInt64)
    }

    /// The state with exactly the batches known durable applied.
    var durable: StoreState
    /// Batches applied to the live state but not yet known durable, oldest first.
    var unconfirmed: [Unconfirmed] = []
    var nextTicket: UInt64 = 1
    /// Store tickets whose batches were rolled back (one range per failure, never reused).
    var lost: [ClosedRange<UInt64>] = []

    static let lostFailure = StoreUnavailable(
        "the change was not stored: an earlier write failed and it was taken back")

    /// Remembers an applied batch; returns the store ticket for it.
    mutating func record(_ batch: [StoreMutation], backendTicket: UInt64) -> UInt64 {
        let ticket = nextTicket
        nextTicket += 1
        unconfirmed.append(Unconfirmed(ticket: ticket, backendTicket: backendTicket, batch: batch))
        return ticket
    }

    /// Moves the batches durable through `backendTicket` into `durable`. When all are, the live
    /// state is the durable one (an O(1) copy-on-write copy).
    mutating func confirm(through backendTicket: UInt64, live: StoreState) {
        guard let last = unconfirmed.last else { return }
        if last.backendTicket <= backendTicket {
            durable = live
            unconfirmed.removeAll()
            return
        }
        let count = unconfirmed.prefix { $0.backendTicket <= backendTicket }.count
        for u in unconfirmed.prefix(count) { for m in u.batch { durable.apply(m) } }
        unconfirmed.removeFirst(count)
    }

    /// Ranges are ascending and disjoint (adjacent ones merged), so a binary search finds it.
    func isLost(_ ticket: UInt64) -> Bool {
        var low = 0
        var high = lost.count
        while low < high {
            let mid = (low + high) / 2
            if lost[mid].upperBound < ticket { low = mid + 1 } else { high = mid }
        }
        return low < lost.count && lost[low].contains(ticket)
    }

    /// Unconfirmed tickets are consecutive (handed out one by one, removed from the front or all
    /// at once), so a ticket's entry is found by subtraction.
    func lookup(_ ticket: UInt64) -> Lookup {
        if isLost(ticket) { return .lost }
        if let first = unconfirmed.first?.ticket, ticket >= first, ticket - first < UInt64(unconfirmed.count)
        {
            return .wait(unconfirmed[Int(ticket - first)].backendTicket)
        }
        return .durable
    }

    /// Marks every unconfirmed batch lost (merging with the previous range while a failure
    /// persists, so a long outage keeps one range) and forgets them.
    mutating func loseUnconfirmed() {
        guard let first = unconfirmed.first?.ticket, let last = unconfirmed.last?.ticket else { return }
        if let previous = lost.last, previous.upperBound + 1 == first {
            lost[lost.count - 1] = previous.lowerBound...last
        } else {
            lost.append(first...last)
        }
        unconfirmed.removeAll()
    }
}

extension ThreatModelStore.Core {
    /// Folds what became durable into the tracked state. If the backend failed, rolls the live
    /// state back to what is on disk and marks the lost tickets; then resumes the backend unless
    /// a compaction is in flight (its copy of the state may hold a lost change: it must fail on
    /// the failed journal, not run after the resume; the next commit resumes instead).
    mutating func settle(_ backend: any Store) {
        guard var t = tracking else { return }
        defer { tracking = t }
        if let through = backend.durableTicket { t.confirm(through: through, live: state) }
        // Nothing is enqueued between the failure and the resume (the backend refuses), so every
        // batch still unconfirmed after the backend's last durable one is lost.
        guard let through = backend.failedThrough else { return }
        t.confirm(through: through, live: state)
        if !t.unconfirmed.isEmpty {
            t.loseUnconfirmed()
            state = t.durable
        }
        if !compacting { _ = backend.resumeAfterFailure() }
    }
}
