/// A write held until the end of its loop's round (`Poller.sendAtEndOfRound`).
struct HeldSend {
    let descriptor: PolledDescriptor
    let bytes: [UInt8]
    /// Once every byte is sent, wait to read (with this deadline) instead of resuming the task.
    let thenRead: Bool
    let readDeadline: IODeadline?
    let continuation: UnsafeContinuation<IOWaitResult, Never>

    /// Sends until every byte is written (nil), or returns where the socket would block or
    /// failed (`.sendStopped`, which hands the bytes back to the task).
    func send() -> IOWaitResult? {
        do throws(StreamError) {
            let sent = try descriptor.sendAvailable(bytes, from: 0)
            return sent == bytes.count ? nil : .sendStopped(bytes, sent: sent, error: nil)
        } catch {
            return .sendStopped(bytes, sent: 0, error: error)
        }
    }
}

/// Writes held to the end of the round (issue 15, benchmarks/perf.md thirteenth pass).
///
/// A loop's round runs every task that became ready, and each HTTP connection's task answers and
/// writes its response in turn. Sent at once, each response lands while the peer's thread, faster
/// than one request's work here, has gone back to sleep in `epoll_wait`: every `send` then pays
/// for waking it, which on a virtual machine is an inter-processor interrupt and an exit to the
/// hypervisor, charged to the loop that sends (about an eighth of a JSON read's CPU, measured).
/// Held until the round's work is done, the responses go out back to back: the first wakes the
/// peer, and the rest arrive before it sleeps again. A held write still returns only once the
/// socket took its bytes (or with what it could not take, which the caller waits to write as
/// before), so a caller's order, back-pressure and errors are unchanged; a write waits at most
/// one round, the work of the tasks that were ready with it.
extension Poller {
    /// Suspends the calling task, which must run on this loop's thread, until the end of the
    /// round; then sends `bytes` on `descriptor`. Resumes with `.ready` once the socket took them
    /// all, or `.sendStopped` with the bytes and how many it took before it would block or failed.
    ///
    /// `thenRead`: once every byte is sent, the task waits to read instead (resumed as by
    /// `wait(for: .read)`), so a response and the wait for the next request cost one suspension.
    /// The bytes are consumed and freed once sent: a task waiting for its next request does not
    /// keep its last answer alive.
    func sendAtEndOfRound(
        _ descriptor: PolledDescriptor, _ bytes: consuming [UInt8], thenRead: Bool = false,
        readDeadline: IODeadline? = nil
    ) async -> IOWaitResult {
        var owned = Optional(consume bytes)
        // One executor hop, as in `wait`: nothing runs here between the resume and the return.
        return await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
            self.heldSends.append(
                HeldSend(
                    descriptor: descriptor, bytes: owned.take() ?? [], thenRead: thenRead,
                    readDeadline: readDeadline, continuation: continuation))
        }
    }

    /// Loop thread, at the end of a round (and before a shutdown closes a connection): sends
    /// every held write in the order they were held; resumes their tasks, or parks those that
    /// wait to read next.
    func sendHeld() {
        guard !heldSends.isEmpty else { return }
        // Sending and resuming hold nothing new: a resumed task runs in a later round.
        for held in heldSends {
            if let stopped = held.send() {
                held.continuation.resume(returning: stopped)
            } else if held.thenRead {
                let id = nextWaiterID.add(1, ordering: .relaxed).newValue
                let waiter = IOWaiter(id: id, continuation: held.continuation)
                let (immediate, _) = state.park(
                    held.descriptor.registration, .read, deadline: held.readDeadline, waiter: waiter)
                if let immediate { held.continuation.resume(returning: immediate) }
            } else {
                held.continuation.resume(returning: .ready)
            }
        }
        heldSends.removeAll(keepingCapacity: true)
    }
}
