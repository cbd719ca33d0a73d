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
    private let life = Mutex(Life())

    private struct Life {
        var closed = false
        var inFlight = 0
        var released = false
    }

    /// Takes ownership of `fd`: registers it, or closes it if registration fails.
    init(adopting fd: Int32, poller: Poller) throws(StreamError) {
        do {
            self.registration = try poller.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.poller = poller
    }

    deinit {
        let release = life.withLock { l in
            defer { l.released = true }
            return !l.released
        }
        if release {
            poller.deregister(registration)
            Glibc.close(fd)
        }
    }

    var isClosed: Bool { life.withLock { $0.closed } }

    /// Runs one system call on the descriptor, or fails with `.closed` once closed.
    @inline(__always)
    func withDescriptor<R>(_ body: (Int32) -> R) throws(StreamError) -> R {
        let open = life.withLock { l in
            if l.closed { return false }
            l.inFlight += 1
            return true
        }
        guard open else { throw .closed }
        let result = body(fd)
        let release = life.withLock { l in
            l.inFlight -= 1
            guard l.closed, l.inFlight == 0, !l.released else { return false }
            l.released = true
            return true
        }
        if release { Glibc.close(fd) }
        return result
    }

    /// Waits for readiness; maps the outcome to the stream's errors.
    func wait(for interest: IOInterest, deadline: IODeadline?) async throws(StreamError) {
        switch await poller.wait(registration, for: interest, deadline: deadline) {
        case .ready: return
        case .timedOut: throw .timedOut
        case .closed: throw .closed
        }
    }

    /// Closes once: wakes every waiter with `.closed`; the fd is released when no call is in flight.
    func close() {
        let (first, release) = life.withLock { l -> (Bool, Bool) in
            if l.closed { return (false, false) }
            l.closed = true
            guard l.inFlight == 0, !l.released else { return (true, false) }
            l.released = true
            return (true, true)
        }
        guard first else { return }
        poller.deregister(registration)
        if release {
            Glibc.close(fd)
        } else {
            shutdown(fd, Int32(SHUT_RDWR))
        }
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
