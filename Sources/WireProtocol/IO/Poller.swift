import CTMISystem
import Glibc
import Synchronization

/// The readiness a task waits for on a descriptor.
enum IOInterest: Int, Sendable {
    case read = 0
    case write = 1
}

/// How a wait on a descriptor ended.
enum IOWaitResult: Sendable {
    case ready
    case timedOut
    /// The descriptor was deregistered (closed) or the waiting task was cancelled.
    case closed
}

/// One descriptor's registration: the fd plus a generation number unique to this registration, so
/// an event queued for a closed fd is not delivered to a new socket that reused the number
/// (the idea of swift-nio's `EPollUserData`).
struct PollerRegistration: Sendable, Hashable {
    let fd: Int32
    let generation: UInt32

    var token: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd)) }
}

/// The process's single epoll thread (DESIGN §3).
///
/// Each descriptor is registered once, edge-triggered, for both directions. A task that got
/// `EAGAIN` parks a continuation here; the poller thread resumes it when the edge arrives, always
/// outside the lock. An edge that arrives while nobody waits is remembered as a "ready" flag, so a
/// task that registers after the edge does not miss it (the wake-up may then be spurious, which the
/// retry loop of every caller tolerates). Deadlines live in a heap whose earliest entry bounds the
/// `epoll_wait` timeout: no thread or task per timer.
public final class Poller: Sendable {
    /// The poller every socket uses unless told otherwise.
    public static let shared: Poller = Poller()

    let epollFD: Int32
    let wakeFD: Int32
    let state = Mutex(PollerState())
    private let nextWaiterID = Atomic<UInt64>(0)
    private static let wakeToken = UInt64.max
    private static let edgeTriggered: UInt32 = 1 << 31

    private init() {
        // Writing to a socket the peer closed must fail with EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        let wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard epollFD >= 0, wakeFD >= 0 else {
            // Not reachable from input: only a process out of descriptors at start-up gets here.
            fatalError("Poller: epoll_create1/eventfd failed, errno \(errno)")
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        tmi_epoll_event_set_data(&event, Self.wakeToken)
        epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event)
        startThread()
    }

    private func startThread() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let poller = Unmanaged<Poller>.fromOpaque(raw).takeRetainedValue()
                poller.run()
                return nil
            }, context)
        guard rc == 0 else { fatalError("Poller: pthread_create failed, \(rc)") }
        pthread_detach(thread)
    }

    /// Registers `fd` (already non-blocking) for edge-triggered read and write readiness.
    func register(_ fd: Int32) throws(StreamError) -> PollerRegistration {
        let registration = state.withLock { s in
            let generation = s.nextGeneration
            s.nextGeneration = s.nextGeneration &+ 1
            s.slots[fd] = FDSlot(generation: generation)
            return PollerRegistration(fd: fd, generation: generation)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | Self.edgeTriggered
        tmi_epoll_event_set_data(&event, registration.token)
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 {
            let error = errno
            _ = state.withLock { $0.slots.removeValue(forKey: fd) }
            throw .system(error)
        }
        return registration
    }

    /// Removes the registration and resumes its waiters with `.closed`. Call before `close(fd)`.
    func deregister(_ registration: PollerRegistration) {
        let waiters: [IOWaiter] = state.withLock { s in
            guard let slot = s.slots[registration.fd], slot.generation == registration.generation else {
                return []
            }
            s.slots.removeValue(forKey: registration.fd)
            s.deadlines.remove(key: PollerState.key(registration.fd, .read))
            s.deadlines.remove(key: PollerState.key(registration.fd, .write))
            return [slot.readWaiter, slot.writeWaiter].compactMap { $0 }
        }
        epoll_ctl(epollFD, EPOLL_CTL_DEL, registration.fd, nil)
        for waiter in waiters { waiter.continuation.resume(returning: .closed) }
    }

    /// Suspends until the descriptor is (probably) ready in `interest`'s direction, the deadline
    /// passes, the registration ends, or the task is cancelled. Never blocks a thread.
    func wait(
        _ registration: PollerRegistration, for interest: IOInterest, deadline: IODeadline?
    ) async -> IOWaitResult {
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<IOWaitResult, Never>) in
                let (immediate, wake) = state.withLock { s in
                    s.park(
                        registration, interest, deadline: deadline,
                        waiter: IOWaiter(id: id, continuation: continuation))
                }
                if let immediate { continuation.resume(returning: immediate) }
                if wake { self.wake() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.unpark(registration, interest, id: id) }
            waiter?.continuation.resume(returning: .closed)
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// The poller thread's loop. Runs for the life of the process.
    private func run() {
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        var ready: [(IOWaiter, IOWaitResult)] = []
        ready.reserveCapacity(capacity)
        while true {
            let timeout = state.withLock { $0.nextTimeoutMilliseconds(now: monotonicNanoseconds()) }
            let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
            if count < 0 && errno != EINTR {
                continue
            }
            var drainWake = false
            state.withLock { s in
                for i in 0..<Int(max(count, 0)) {
                    let data = tmi_epoll_event_data(events + i)
                    if data == Self.wakeToken {
                        drainWake = true
                        continue
                    }
                    s.deliver(token: data, events: events[i].events, into: &ready)
                }
                s.expireDeadlines(now: monotonicNanoseconds(), into: &ready)
            }
            if drainWake {
                var value: UInt64 = 0
                _ = Glibc.read(wakeFD, &value, 8)
            }
            for (waiter, result) in ready { waiter.continuation.resume(returning: result) }
            ready.removeAll(keepingCapacity: true)
        }
    }
}
