import Synchronization

/// Hands a request's id from the enqueuing task to its cancellation handler or timer, which may
/// fire before the request is queued, while it is, or after.
final class RequestCancelTicket<Failure: PipelineFailure>: Sendable {
    private enum Phase {
        case waiting
        case cancelled(Failure)
        case queued(UInt64)
    }

    private let phase = Mutex(Phase.waiting)

    /// Called by the cancellation handler or timer: the id to abandon, or nil if not yet queued
    /// (the reason is then remembered for `enqueued`).
    func cancel(_ reason: Failure) -> UInt64? {
        phase.withLock { p in
            switch p {
            case .queued(let id): return id
            case .cancelled: return nil
            case .waiting:
                p = .cancelled(reason)
                return nil
            }
        }
    }

    /// Called once the request is queued; the reason if a cancel arrived meanwhile.
    func enqueued(_ id: UInt64) -> Failure? {
        phase.withLock { p in
            if case .cancelled(let reason) = p { return reason }
            p = .queued(id)
            return nil
        }
    }
}
