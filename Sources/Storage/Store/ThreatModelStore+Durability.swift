/// The bookkeeping that lets `ThreatModelStore` take back changes whose write failed (see the
/// type's comment): an undo log of the batches applied but not yet known durable, and the
/// store's own tickets that were lost to a failure. No copy of the state is kept: each batch
/// carries only how to take its own mutations back (`StoreUndo`).
struct DurabilityTracking {
    struct Unconfirmed {
        var ticket: UInt64
        var backendTicket: UInt64
        var undo: [StoreUndo]
    }

    enum Lookup: Equatable {
        case durable
        case lost
        case wait(UInt64)
    }

    /// Batches applied to the live state but not yet known durable, oldest first from `head`
    /// (a consumed prefix is dropped in bulk, so confirming is O(1) amortised).
    private(set) var unconfirmed: [Unconfirmed] = []
    private var head = 0
    var nextTicket: UInt64 = 1
    /// Store tickets whose batches were rolled back (one range per failure, never reused).
    private(set) var lost: [ClosedRange<UInt64>] = []

    static let lostFailure = StoreUnavailable(
        "the change was not stored: an earlier write failed and it was taken back")

    var pendingCount: Int { unconfirmed.count - head }

    /// Remembers an applied batch and how to take it back; returns the store ticket for it.
    mutating func record(undo: [StoreUndo], backendTicket: UInt64) -> UInt64 {
        let ticket = nextTicket
        nextTicket += 1
        unconfirmed.append(Unconfirmed(ticket: ticket, backendTicket: backendTicket, undo: undo))
        return ticket
    }

    /// Forgets the undo of every batch durable through `backendTicket`.
    mutating func confirm(through backendTicket: UInt64) {
        while head < unconfirmed.count, unconfirmed[head].backendTicket <= backendTicket { head += 1 }
        if head == unconfirmed.count {
            unconfirmed.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64, head * 2 > unconfirmed.count {
            unconfirmed.removeFirst(head)
            head = 0
        }
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
        if head < unconfirmed.count {
            let first = unconfirmed[head].ticket
            if ticket >= first, ticket - first < UInt64(pendingCount) {
                return .wait(unconfirmed[head + Int(ticket - first)].backendTicket)
            }
        }
        return .durable
    }

    /// Takes every unconfirmed batch back from `state`, newest first, marks their tickets lost
    /// (merging with the previous range while a failure persists, so a long outage keeps one
    /// range) and forgets them.
    mutating func rollBack(_ state: inout StoreState) {
        guard head < unconfirmed.count else { return }
        let first = unconfirmed[head].ticket
        let last = unconfirmed[unconfirmed.count - 1].ticket
        for u in unconfirmed[head...].reversed() { state.undo(u.undo) }
        if let previous = lost.last, previous.upperBound + 1 == first {
            lost[lost.count - 1] = previous.lowerBound...last
        } else {
            lost.append(first...last)
        }
        unconfirmed.removeAll(keepingCapacity: true)
        head = 0
    }
}

extension ThreatModelStore.Core {
    /// Drops the undo of what became durable. If the backend failed, takes the lost batches back
    /// from the live state (which then equals the disk again) and marks their tickets; then
    /// resumes the backend unless a compaction is in flight (its copy of the state may hold a
    /// lost change: it must fail on the failed journal, not run after the resume; the next
    /// commit resumes instead).
    mutating func settle(_ backend: any Store) {
        guard tracking != nil else { return }
        if let through = backend.durableTicket { tracking!.confirm(through: through) }
        // Nothing is enqueued between the failure and the resume (the backend refuses), so every
        // batch still unconfirmed after the backend's last durable one is lost.
        guard let through = backend.failedThrough else { return }
        tracking!.confirm(through: through)
        tracking!.rollBack(&state)
        changedEverything()
        if !compacting { _ = backend.resumeAfterFailure() }
    }
}
