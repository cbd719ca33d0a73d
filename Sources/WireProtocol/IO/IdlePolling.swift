import Glibc

/// How many times an I/O loop that ran out of work polls again, yielding its core between polls,
/// before it sleeps in `epoll_wait` (`Poller.waitForEvents`).
///
/// Why: a loop that sleeps must be woken by the kernel when the next packet arrives, and on a
/// virtual machine a woken idle CPU costs a hypervisor exit and an interrupt between CPUs. With
/// two loops and a client on two cores (`wrk -t1`, `benchmarks/hummingbird-compare.sh`), our
/// loops slept and woke 0.17–0.28 times per request, and those wake-ups cost a quarter of the
/// request rate. A loop that yields instead stays runnable: the client, or a task of ours, gets
/// the core at once (`sched_yield`), and the next poll usually finds its reply (benchmarks/perf.md,
/// tenth pass).
///
/// Adaptive, so a loop that is mostly idle does not burn its core: a wait that found work while
/// polling keeps the whole budget for the next; a wait that polled in vain and slept halves it,
/// down to one poll, which costs two system calls and is enough to notice the next busy spell.
struct IdlePolling {
    /// Polls the next wait may make (at most the limit in force then).
    private(set) var budget: Int

    init(limit: Int) {
        budget = max(limit, 0)
    }

    /// The polls the next wait makes when the limit is `limit` (0 turns polling off).
    func polls(limit: Int) -> Int {
        limit <= 0 ? 0 : min(max(budget, 1), limit)
    }

    /// Polling found work: keep polling as long next time.
    mutating func found(limit: Int) {
        budget = max(limit, 0)
    }

    /// Every poll came back empty and the loop slept: poll half as long next time.
    mutating func slept() {
        budget = max(budget / 2, 1)
    }

    /// The default limit: `TMI_IO_IDLE_POLLS` when set to a number in 0...4096, else 32. In the
    /// benchmarks 20 and 50 polls did equally well; each costs about a microsecond on an idle
    /// core.
    static var defaultLimit: Int {
        if let text = getenv("TMI_IO_IDLE_POLLS").map({ String(cString: $0) }), let n = Int(text),
            (0...maximumLimit).contains(n)
        {
            return n
        }
        return 32
    }

    /// The largest limit accepted (a loop then spends at most a few milliseconds polling).
    static let maximumLimit = 4096
}
