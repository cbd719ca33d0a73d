import CTMISystem
import Glibc
import Synchronization

/// The readiness a task waits for on a descriptor.
enum IOInterest: Int, Sendable {
    case read = 0
    case write = 1
}

/// How a wait on a descriptor ended.
enum IOWaitResult: Sendable, Equatable {
    case ready
    case timedOut
    /// The descriptor was deregistered (closed) or the waiting task was cancelled.
    case closed
    /// A held send (`Poller.sendAtEndOfRound`) stopped after `sent` of its bytes, handed back to
    /// the task: the socket would block (`error` nil) or failed.
    case sendStopped([UInt8], sent: Int, error: StreamError?)
}

/// One descriptor's registration: the fd plus a generation number unique to this registration, so
/// an event queued for a closed fd is not delivered to a new socket that reused the number
/// (the idea of swift-nio's `EPollUserData`).
struct PollerRegistration: Sendable, Hashable {
    let fd: Int32
    let generation: UInt32

    var token: UInt64 { UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd)) }
}

/// One I/O loop (DESIGN §3): a thread of its own running `epoll_wait`, which is also a
/// `TaskExecutor`, so a connection task started with this loop as its executor preference reads,
/// parses, answers and writes on this one thread — the wake-up of a readiness edge resumes the
/// task right here instead of handing it to another thread.
///
/// Each descriptor is registered once, edge-triggered, for both directions. A task that got
/// `EAGAIN` parks a continuation here; an edge that arrives while nobody waits is remembered as a
/// "ready" flag, so a task that parks after the edge does not miss it (the wake-up may then be
/// spurious, which the retry loop of every caller tolerates). Deadlines live in a heap whose
/// earliest entry bounds the `epoll_wait` timeout: no thread or task per timer.
///
/// The loop's state (descriptors, waiters, deadlines, queued jobs) belongs to its thread and is
/// touched without a lock. Code running elsewhere (a task on the shared pool, a client, a
/// cancellation) sends its change to the loop as a message through `submit`, the one locked
/// queue, which costs a lock and at most one eventfd write per loop iteration — never on the path
/// of a request served on its own loop.
public final class Poller: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `state`, `localJobs`, `heldSends`, `localActions`, `timers`,
    // `timerArmedAt`, `dateCache` and `idle` are only touched on the loop thread
    // (checked by `isOnLoop`, every other caller goes through `submit`); everything else is
    // immutable or an `Atomic`/`Mutex`.

    /// The poller every socket uses unless told otherwise: the first loop of `IOLoops`.
    public static var shared: Poller { IOLoops.loop(0) }

    /// The loop whose thread is running the caller, if any.
    public static var current: Poller? {
        guard let raw = pthread_getspecific(IOLoops.threadKey) else { return nil }
        return Unmanaged<Poller>.fromOpaque(raw).takeUnretainedValue()
    }

    /// This loop's position in `IOLoops` (for metrics and tests).
    public let index: Int
    let epollFD: Int32
    let wakeFD: Int32
    /// A monotonic timerfd set to the earliest of `timers`, in the loop's epoll set.
    let timerFD: Int32
    /// Loop-thread only.
    var state = PollerState()
    /// Jobs enqueued from the loop thread itself; loop-thread only.
    var localJobs: [UnownedJob] = []
    /// Writes held to the end of the round (`sendAtEndOfRound`); loop-thread only.
    var heldSends: [HeldSend] = []
    /// Actions queued from the loop thread itself by `runSoon`; loop-thread only.
    var localActions: [@Sendable () -> Void] = []
    /// Actions due later (`runAfter`); loop-thread only.
    var timers = LoopTimers()
    /// The time `timerFD` is set to expire at (`Int64.max`: not set); loop-thread only.
    var timerArmedAt = Int64.max
    /// The `Date` header text of the current second (`HTTPDate`); loop-thread only.
    var dateCache: (second: Int, bytes: [UInt8]) = (-1, [])
    /// How long this loop polls before it sleeps; loop-thread only.
    var idle = IdlePolling(limit: IdlePolling.defaultLimit)
    /// The most polls before sleeping (`IdlePolling`; 0: sleep at once). Set by the server
    /// that uses the loop, read at every wait.
    public let idlePollLimit = Atomic<Int>(IdlePolling.defaultLimit)
    /// Jobs and messages from other threads.
    let remote = Mutex<[PollerMessage]>([])
    /// Set by the first `submit` since the loop last emptied `remote`; that `submit` writes the
    /// eventfd, the others need not.
    let notified = Atomic<Bool>(false)
    private let nextGeneration = Atomic<UInt32>(1)
    let nextWaiterID = Atomic<UInt64>(0)
    private let ownerThread = Atomic<UInt>(0)
    static let wakeToken = UInt64.max
    static let timerToken = UInt64.max - 1
    /// The longest a loop timer waits (a year), so a due time never overflows.
    static let maximumTimerDelay: Duration = .seconds(366 * 86_400)
    private static let edgeTriggered: UInt32 = 1 << 31

    init(index: Int) {
        // Writing to a socket the peer closed must fail with EPIPE, not kill the process.
        signal(SIGPIPE, SIG_IGN)
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        let wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        let timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard epollFD >= 0, wakeFD >= 0, timerFD >= 0 else {
            // Not reachable from input: only a process out of descriptors at start-up gets here.
            fatalError("Poller: epoll_create1/eventfd/timerfd_create failed, errno \(errno)")
        }
        self.index = index
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        self.timerFD = timerFD
        for (fd, token) in [(wakeFD, Self.wakeToken), (timerFD, Self.timerToken)] {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            tmi_epoll_event_set_data(&event, token)
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
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
        // Not reachable from input: loops are created once, at start-up; only a process that
        // cannot create a thread then gets here, and it cannot serve anything.
        guard rc == 0 else { fatalError("Poller: pthread_create failed, \(rc)") }
        pthread_detach(thread)
    }

    /// Whether the caller runs on this loop's thread (and may touch its state directly).
    @inline(__always)
    var isOnLoop: Bool { ownerThread.load(ordering: .relaxed) == UInt(pthread_self()) }

    /// Runs `action` on the loop thread: now if already there, else as a message.
    @inline(__always)
    func onLoop(_ action: @escaping @Sendable () -> Void) {
        if isOnLoop { action() } else { submit(.action(action)) }
    }

    /// Runs `action` on the loop thread after what runs there now: queued locally when called
    /// there, else sent as a message. For work that must not run inside the caller (a lock it
    /// holds) and needs no task: a closure costs less than a task and its frames.
    func runSoon(_ action: @escaping @Sendable () -> Void) {
        if isOnLoop { localActions.append(action) } else { submit(.action(action)) }
    }

    /// Runs `action` on the loop thread once `delay` has passed (and no sooner), from any thread.
    /// Actions due at the same time run in the order they were scheduled. Delays are clamped to
    /// `0...maximumTimerDelay`.
    public func runAfter(_ delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let due = Self.due(after: delay, now: monotonicNanoseconds())
        onLoop { self.addTimer(due: due, action) }
    }

    /// The monotonic time `delay` after `now`, the delay clamped to `0...maximumTimerDelay`.
    static func due(after delay: Duration, now: Int64) -> Int64 {
        let (seconds, attoseconds) = min(max(delay, .zero), maximumTimerDelay).components
        return now + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Loop thread: adds a timer and sets the timerfd if it is now the earliest.
    private func addTimer(due: Int64, _ action: @escaping @Sendable () -> Void) {
        timers.add(due: due, action)
        if due < timerArmedAt { armTimer(at: due) }
    }

    /// Loop thread: runs the timers due now, then sets the timerfd to the next one.
    private func runDueTimers() {
        let now = monotonicNanoseconds()
        if timerArmedAt <= now { timerArmedAt = .max }  // expired: the timerfd is one-shot
        for action in timers.takeDue(now: now) { action() }
        if let next = timers.earliest, next < timerArmedAt { armTimer(at: next) }
    }

    private func armTimer(at due: Int64) {
        var setting = itimerspec()
        setting.it_value.tv_sec = Int(due / 1_000_000_000)
        setting.it_value.tv_nsec = Int(due % 1_000_000_000)
        timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &setting, nil)
        timerArmedAt = due
    }

    /// Queues a message for the loop thread and wakes it if it may be asleep.
    func submit(_ message: sending PollerMessage) {
        remote.withLock { $0.append(message) }
        if !notified.exchange(true, ordering: .sequentiallyConsistent) { wake() }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Registers `fd` (already non-blocking) for edge-triggered read and write readiness.
    ///
    /// The epoll entry is added at once from any thread, so a `deregister` that follows always
    /// removes it before the fd number can be reused. From another thread the slot is created on
    /// the loop a little later, marked ready both ways: an edge that arrived before it existed
    /// was dropped, and a spurious wake-up only costs the caller one `EAGAIN`.
    func register(_ fd: Int32) throws(StreamError) -> PollerRegistration {
        let registration = PollerRegistration(
            fd: fd, generation: nextGeneration.add(1, ordering: .relaxed).oldValue)
        let onLoop = isOnLoop
        if onLoop { install(registration, assumeReady: false) }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | Self.edgeTriggered
        tmi_epoll_event_set_data(&event, registration.token)
        if epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 {
            let error = errno
            if onLoop {
                var ready: [(IOWaiter, IOWaitResult)] = []
                state.remove(registration, into: &ready)
            }
            throw .system(error)
        }
        if !onLoop { submit(.action { self.install(registration, assumeReady: true) }) }
        return registration
    }

    /// Loop thread: creates the registration's slot.
    private func install(_ registration: PollerRegistration, assumeReady: Bool) {
        var ready: [(IOWaiter, IOWaitResult)] = []
        if state.install(registration, closing: &ready), assumeReady {
            state.slots[registration.fd]?.readReady = true
            state.slots[registration.fd]?.writeReady = true
        }
        for (waiter, result) in ready { waiter.continuation.resume(returning: result) }
    }

    /// Removes the registration and resumes its waiters with `.closed`. Call before `close(fd)`:
    /// the epoll entry goes at once from any thread, so a reused fd number is never touched.
    func deregister(_ registration: PollerRegistration) {
        epoll_ctl(epollFD, EPOLL_CTL_DEL, registration.fd, nil)
        onLoop {
            var ready: [(IOWaiter, IOWaitResult)] = []
            self.state.remove(registration, into: &ready)
            for (waiter, result) in ready { waiter.continuation.resume(returning: result) }
        }
    }

    /// Suspends until the descriptor is (probably) ready in `interest`'s direction, the deadline
    /// passes, the registration ends, or the task is cancelled. Never blocks a thread.
    ///
    /// A wait that is not `cancellable` (see `PolledDescriptor.observesCancellation`) ends only
    /// by readiness, its deadline or the descriptor's close.
    @inline(__always)
    func wait(
        _ registration: PollerRegistration, for interest: IOInterest, deadline: IODeadline?,
        cancellable: Bool = true
    ) async -> IOWaitResult {
        if isOnLoop, let immediate = state.takeReady(registration, interest) { return immediate }
        let id = nextWaiterID.add(1, ordering: .relaxed).newValue
        if !cancellable {
            // Not `withUnsafeContinuation`: its `isolation` parameter hops back to the caller's
            // executor when resumed, and the caller (nonisolated(nonsending), on the loop) then
            // hops again: two `swift_task_switch`es per wait, each reading the task's executor
            // preference under a runtime lock. Nothing runs here between the resume and the
            // return, so one hop, the caller's, is enough (benchmarks/perf.md, seventh pass).
            return await _unsafeInheritExecutor_withUnsafeContinuation { continuation in
                self.park(IOWaiter(id: id, continuation: continuation), registration, interest, deadline, nil)
            }
        }
        return await waitCancellable(registration, for: interest, deadline: deadline, id: id)
    }

    /// The cancellable half of `wait`, kept out of line: inlined into every read and write, its
    /// cancellation handler grew the frames an idle connection's suspended task holds by about
    /// 1 KiB per socket (benchmarks/perf.md, seventh pass), although server sockets never take it.
    @inline(never)
    private func waitCancellable(
        _ registration: PollerRegistration, for interest: IOInterest, deadline: IODeadline?, id: UInt64
    ) async -> IOWaitResult {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<IOWaitResult, Never>) in
                self.park(
                    IOWaiter(id: id, continuation: continuation), registration, interest, deadline, cancelled)
            }
        } onCancel: {
            cancelled.set()
            self.onLoop {
                let waiter = self.state.unpark(registration, interest, id: id)
                waiter?.continuation.resume(returning: .closed)
            }
        }
    }

    /// Parks `waiter`, or resumes it at once when the answer is already known: directly on the
    /// loop thread, else as a message to it. A message checks `cancelled` (when the wait observes
    /// cancellation) before parking, since the task may have been cancelled on the way.
    private func park(
        _ waiter: IOWaiter, _ registration: PollerRegistration, _ interest: IOInterest,
        _ deadline: IODeadline?, _ cancelled: CancelFlag?
    ) {
        if isOnLoop {
            let (immediate, _) = state.park(registration, interest, deadline: deadline, waiter: waiter)
            if let immediate { waiter.continuation.resume(returning: immediate) }
            return
        }
        let alreadyCancelled = cancelled != nil && Task.isCancelled
        submit(
            .action {
                if alreadyCancelled || cancelled?.isSet == true {
                    waiter.continuation.resume(returning: .closed)
                    return
                }
                let (immediate, _) = self.state.park(
                    registration, interest, deadline: deadline, waiter: waiter)
                if let immediate { waiter.continuation.resume(returning: immediate) }
            })
    }
}

/// What another thread asks of a loop.
enum PollerMessage {
    case job(UnownedJob)
    case action(@Sendable () -> Void)
}

/// Tells a wait's message, which may run after the task was cancelled, not to park.
final class CancelFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

extension Poller {
    /// Jobs of tasks that prefer this loop: run on its thread, in the order enqueued.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOnLoop {
            localJobs.append(job)
        } else {
            submit(.job(job))
        }
    }

    /// The loop thread: runs queued jobs, then waits for readiness (not at all while jobs are
    /// queued), resumes the waiters it concerns, and expires deadlines. Runs for the life of the
    /// process.
    func run() {
        ownerThread.store(UInt(pthread_self()), ordering: .relaxed)
        pthread_setspecific(IOLoops.threadKey, Unmanaged.passUnretained(self).toOpaque())
        let capacity = 512
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        var ready: [(IOWaiter, IOWaitResult)] = []
        ready.reserveCapacity(capacity)
        var running: [UnownedJob] = []
        var actions: [@Sendable () -> Void] = []
        var messages: [PollerMessage] = []
        let executor = asUnownedTaskExecutor()
        while true {
            // Jobs and actions queued so far; the ones they queue run in the next round, after
            // I/O is polled (a writer's turn then finds more frames to write at once).
            swap(&running, &localJobs)
            swap(&actions, &localActions)
            for job in running { job.runSynchronously(on: executor) }
            running.removeAll(keepingCapacity: true)
            for action in actions { action() }
            actions.removeAll(keepingCapacity: true)
            if notified.load(ordering: .relaxed) {
                notified.store(false, ordering: .sequentiallyConsistent)
                remote.withLock { swap(&messages, &$0) }
                for message in messages {
                    switch message {
                    case .job(let job): job.runSynchronously(on: executor)
                    case .action(let action): action()
                    }
                }
                messages.removeAll(keepingCapacity: true)
            }
            // The round's work is done: its responses go out back to back (Poller+HeldSends).
            sendHeld()
            let timeout =
                localJobs.isEmpty && localActions.isEmpty && !notified.load(ordering: .relaxed)
                ? state.nextTimeoutMilliseconds(now: monotonicNanoseconds()) : 0
            let count = waitForEvents(events, capacity: Int32(capacity), timeout: timeout)
            for i in 0..<Int(max(count, 0)) {
                let data = tmi_epoll_event_data(events + i)
                if data == Self.wakeToken || data == Self.timerToken {
                    var value: UInt64 = 0
                    _ = Glibc.read(data == Self.wakeToken ? wakeFD : timerFD, &value, 8)
                    continue
                }
                state.deliver(token: data, events: events[i].events, into: &ready)
            }
            if state.deadlines.count > 0 { state.expireDeadlines(now: monotonicNanoseconds(), into: &ready) }
            if !timers.isEmpty { runDueTimers() }
            for (waiter, result) in ready { waiter.continuation.resume(returning: result) }
            ready.removeAll(keepingCapacity: true)
        }
    }

    /// `epoll_wait` for at most `timeout` milliseconds (0: only what is ready now; -1: until an
    /// event). A loop that would sleep first polls what is ready now, then up to `idle.polls`
    /// more times, each after yielding the core (`IdlePolling`).
    private func waitForEvents(_ events: UnsafeMutablePointer<epoll_event>, capacity: Int32, timeout: Int32)
        -> Int32
    {
        let limit = idlePollLimit.load(ordering: .relaxed)
        guard limit > 0, timeout != 0 else { return epoll_wait(epollFD, events, capacity, timeout) }
        let now = epoll_wait(epollFD, events, capacity, 0)
        if now != 0 { return now }
        for _ in 0..<idle.polls(limit: limit) {
            sched_yield()
            let polled = epoll_wait(epollFD, events, capacity, 0)
            if polled != 0 {
                idle.found(limit: limit)
                return polled
            }
        }
        idle.slept()
        return epoll_wait(epollFD, events, capacity, timeout)
    }
}
