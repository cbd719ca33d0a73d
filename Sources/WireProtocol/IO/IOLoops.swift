import Glibc
import Synchronization

/// The process's I/O loops (`Poller`s), created on first use and kept for the life of the
/// process, like the single poller thread they replace: servers and clients ask for the first
/// `n`, so the many servers a test run starts share a few threads instead of each leaking its own.
public enum IOLoops {
    /// More loops than this are never created (a typo in `--io-threads` must not start 10,000
    /// threads).
    public static let maximumCount = 64

    private static let loops = Mutex<[Poller]>([])

    /// The thread-specific slot where each loop thread records its `Poller` (`Poller.current`).
    static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Loop `index` (0 is `Poller.shared`), created with any before it if needed.
    public static func loop(_ index: Int) -> Poller {
        first(index + 1)[index]
    }

    /// The first `count` loops (clamped to 1...`maximumCount`).
    public static func first(_ count: Int) -> [Poller] {
        let wanted = min(max(count, 1), maximumCount)
        return loops.withLock { all in
            while all.count < wanted { all.append(Poller(index: all.count)) }
            return Array(all[0..<wanted])
        }
    }

    /// The default number of loops: `TMI_IO_THREADS` when set to a positive number, else the
    /// CPUs this process may run on.
    public static var defaultCount: Int {
        if let text = getenv("TMI_IO_THREADS").map({ String(cString: $0) }), let n = Int(text), n > 0 {
            return min(n, maximumCount)
        }
        return availableCores
    }

    /// CPUs online, at least 1.
    public static var availableCores: Int {
        max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
    }
}
