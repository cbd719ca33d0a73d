import Synchronization

/// Why a lease ended.
public enum LeaseLossReason: Sendable, Equatable, CustomStringConvertible {
    /// Redis no longer holds our value: the lease expired and another node took it, or Redis lost
    /// its data (a restart without persistence).
    case lost
    /// No renewal was confirmed for two thirds of the TTL (Redis down or too slow): we stop
    /// before the lease can lapse and another node take it.
    case cannotRenew(String)
    /// `release` was called.
    case released
    /// The directory was stopped.
    case directoryStopped

    public var description: String {
        switch self {
        case .lost: "the session's ownership lease was lost to another node"
        case .cannotRenew(let why): "the session's ownership lease could not be renewed (\(why))"
        case .released: "the session's ownership lease was released"
        case .directoryStopped: "the cluster directory stopped"
        }
    }
}

/// This node's ownership of one diagram's live session, with the fencing token of this
/// acquisition. Store every operation with `fencingToken`; check `isValid` before accepting one.
///
/// The directory renews the lease in the background. `onLost` (given to `acquire`) is called
/// once, from the directory's task, when the lease ends for any reason other than `release`:
/// the session must then stop taking operations and tell its participants to reconnect.
public final class DiagramLease: Sendable {
    public let diagramID: String
    /// Strictly greater than every token handed out for this diagram before.
    public let fencingToken: Int64
    /// The value stored at `tmi:owner:{diagram}`: "{node id} {token}".
    let ownerValue: String
    let onLost: @Sendable (DiagramLease, LeaseLossReason) -> Void
    let state: Mutex<State>

    struct State {
        /// Until when (monotonic clock) the lease may be trusted without a newer renewal.
        var trustedUntil: ContinuousClock.Instant
        var lastRenewalSent: ContinuousClock.Instant
        var ended: LeaseLossReason?
        /// Set once `onLost` has returned: waiters resume only then, so whoever waits for the end
        /// also sees everything `onLost` did.
        var announced = false
        var waiters: [CheckedContinuation<LeaseLossReason, Never>] = []
    }

    init(
        diagramID: String, fencingToken: Int64, ownerValue: String, trustedUntil: ContinuousClock.Instant,
        sentAt: ContinuousClock.Instant, onLost: @escaping @Sendable (DiagramLease, LeaseLossReason) -> Void
    ) {
        self.diagramID = diagramID
        self.fencingToken = fencingToken
        self.ownerValue = ownerValue
        self.onLost = onLost
        self.state = Mutex(State(trustedUntil: trustedUntil, lastRenewalSent: sentAt))
    }

    /// True while operations may be accepted: not ended, and a renewal confirmed recently enough
    /// (checked against the clock, so it turns false on time even if the renewal task is late).
    public var isValid: Bool {
        state.withLock { $0.ended == nil && ContinuousClock.now < $0.trustedUntil }
    }

    /// Why the lease ended, nil while it holds.
    public var endReason: LeaseLossReason? { state.withLock { $0.ended } }

    /// Suspends until the lease ends and `onLost` (if called) has returned; returns why.
    public func waitUntilEnded() async -> LeaseLossReason {
        await withCheckedContinuation { continuation in
            let ended = state.withLock { s -> LeaseLossReason? in
                if s.announced, let ended = s.ended { return ended }
                s.waiters.append(continuation)
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Marks the lease ended (first reason wins); true if this call ended it.
    @discardableResult
    func end(_ reason: LeaseLossReason) -> Bool {
        let first = state.withLock { s -> Bool in
            guard s.ended == nil else { return false }
            s.ended = reason
            return true
        }
        guard first else { return false }
        if reason != .released { onLost(self, reason) }
        let waiters = state.withLock { s in
            s.announced = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: reason) }
        return true
    }

    func confirmed(sentAt: ContinuousClock.Instant, trust: Duration) {
        state.withLock { s in
            let until = sentAt + trust
            if until > s.trustedUntil { s.trustedUntil = until }
        }
    }
}
