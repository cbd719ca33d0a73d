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

    func isLost(_ ticket: UInt64) -> Bool { lost.contains { $0.contains(ticket) } }

    func lookup(_ ticket: UInt64) -> Lookup {
        if isLost(ticket) { return .lost }
        if let u = unconfirmed.first(where: { $0.ticket == ticket }) { return .wait(u.backendTicket) }
        return .durable
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
        if let first = t.unconfirmed.first, let last = t.unconfirmed.last {
            t.lost.append(first.ticket...last.ticket)
            t.unconfirmed.removeAll()
            state = t.durable
        }
        if !compacting { _ = backend.resumeAfterFailure() }
    }
}
