import CTMISystem
import Glibc
import Synchronization

/// A non-blocking descriptor registered with the poller, with a close that is safe while other
/// tasks are inside a system call on it.
///
/// `close()` marks the descriptor closed and wakes its waiters at once, but the fd number is only
/// released when no system call is in flight, so a concurrent `read` can never hit a new socket
/// that reused the number.
final class PolledDescriptor: Sendable {
    let fd: Int32
    let registration: PollerRegistration
    let poller: Poller
    /// Whether a wait ends when its task is cancelled. A descriptor whose tasks are never
    /// cancelled (a server's accepted socket: the server ends connections by closing them, and
    /// their tasks live under a task nobody cancels) waits without the cancellation handler,
    /// which costs two status-record updates and three executor switches per wait.
    let observesCancellation: Bool
    /// `closed`, `deregistered` and `released` flags over the count of system calls in flight,
    /// in one atomic word: a system call costs two atomic operations and no lock.
    private let life = Atomic<Int>(0)
    private static let closedBit = 1 << 62
    private static let deregisteredBit = 1 << 61
    private static let releasedBit = 1 << 60
    /// Closed and out of the poller, nothing in flight, not yet released: the fd may go now.
    private static let releasable = closedBit | deregisteredBit

    /// Takes ownership of `fd`: registers it, or closes it if registration fails.
    init(adopting fd: Int32, poller: Poller, observesCancellation: Bool = true) throws(StreamError) {
        do {
            self.registration = try poller.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.poller = poller
        self.observesCancellation = observesCancellation
    }

    deinit {
        let word = life.load(ordering: .acquiring)
        guard word & Self.releasedBit == 0 else { return }
        if word & Self.deregisteredBit == 0 { poller.deregister(registration) }
        Glibc.close(fd)
    }

    var isClosed: Bool { life.load(ordering: .relaxed) & Self.closedBit != 0 }

    /// Runs one system call on the descriptor, or fails with `.closed` once closed.
    @inline(__always)
    func withDescriptor<R>(_ body: (Int32) -> R) throws(StreamError) -> R {
        var word = life.load(ordering: .relaxed)
        while true {
            if word & Self.closedBit != 0 { throw .closed }
            let (exchanged, original) = life.weakCompareExchange(
                expected: word, desired: word + 1, ordering: .acquiring)
            if exchanged { break }
            word = original
        }
        let result = body(fd)
        let after = life.subtract(1, ordering: .acquiringAndReleasing).newValue
        if after == Self.releasable { release(from: after) }
        return result
    }

    /// Closes the fd once, by whichever of `close()` and the last system call in flight gets here.
    private func release(from word: Int) {
        let (won, _) = life.compareExchange(
            expected: word, desired: word | Self.releasedBit, ordering: .acquiringAndReleasing)
        if won { Glibc.close(fd) }
    }

    /// One `send`-like call (`attempt`, given the descriptor): how many bytes it sent, or nil when
    /// the socket would block; `EINTR` is retried and any other failure mapped to the stream's
    /// errors. The one step of every send loop (`sendAvailable` here and for vectored writes).
    @inline(__always)
    func sendOnce(_ attempt: (Int32) -> Int) throws(StreamError) -> Int? {
        while true {
            let n = try withDescriptor(attempt)
            if n >= 0 { return n }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK: return nil
            case EINTR: continue
            default: throw .fromErrno(code)
            }
        }
    }

    /// Sends `bytes` from `offset` on until all are sent or the socket would block; returns how
    /// far it got. The send loop of a plain write, waited on (`TCPConnection.write`) or held to
    /// the end of a round (`HeldSend`).
    func sendAvailable(_ bytes: [UInt8], from offset: Int) throws(StreamError) -> Int {
        var offset = offset
        while offset < bytes.count {
            let sent = try sendOnce { fd in
                bytes.withUnsafeBytes { raw in
                    send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
            guard let sent else { return offset }
            offset += sent
        }
        return offset
    }

    /// Waits for readiness; maps the outcome to the stream's errors.
    @inline(__always)
    func wait(for interest: IOInterest, deadline: IODeadline?) async throws(StreamError) {
        switch await poller.wait(
            registration, for: interest, deadline: deadline, cancellable: observesCancellation)
        {
        case .ready, .sendStopped: return  // (the second only ends a held send)
        case .timedOut: throw .timedOut
        case .closed: throw .closed
        }
    }

    /// Closes once: wakes every waiter with `.closed`; the fd is released when no call is in
    /// flight, and never before it has left the poller's epoll set (so a reused number is safe).
    func close() {
        // Closing counts as a call in flight until it is done, so the shutdown below never runs
        // on a number another call has already released.
        var word = life.load(ordering: .relaxed)
        while true {
            if word & Self.closedBit != 0 { return }
            let (exchanged, original) = life.weakCompareExchange(
                expected: word, desired: (word | Self.closedBit) + 1, ordering: .acquiringAndReleasing)
            if exchanged { break }
            word = original
        }
        poller.deregister(registration)
        // Others in flight: wake them out of the socket; the last one out releases the number.
        if word & (Self.releasedBit - 1) > 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        _ = life.bitwiseOr(Self.deregisteredBit, ordering: .acquiringAndReleasing)
        let after = life.subtract(1, ordering: .acquiringAndReleasing).newValue
        if after == Self.releasable { release(from: after) }
    }
}

extension StreamError {
    /// Maps an errno from a socket call (EOF-like resets become `.disconnected`).
    static func fromErrno(_ code: Int32) -> StreamError {
        switch code {
        case ECONNRESET, EPIPE, ENOTCONN, ECONNABORTED, ETIMEDOUT: .disconnected
        case EBADF: .closed
        default: .system(code)
        }
    }
}
