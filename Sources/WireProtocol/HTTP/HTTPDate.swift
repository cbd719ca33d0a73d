import Glibc
import Synchronization

/// The `Date` header value (RFC 9110 §6.6.1, IMF-fixdate), formatted at most once a second.
///
/// The second comes from the coarse real-time clock: the kernel's time as of its last tick
/// (at most a few milliseconds behind), read from the vDSO without touching the TSC, which
/// costs a fifth of a precise reading (6 against 28 ns here). A header of whole seconds loses
/// nothing by it.
///
/// On an I/O loop's thread the text is kept by the loop itself, so the two loops serving
/// requests do not pass one lock's cache line back and forth on every response; elsewhere one
/// shared, locked copy serves.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, bytes: [UInt8])>((-1, []))

    static func current() -> [UInt8] {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        let second = Int(now.tv_sec)
        if let loop = Poller.current {
            if loop.dateCache.second != second { loop.dateCache = (second, format(second)) }
            return loop.dateCache.bytes
        }
        return cache.withLock { entry in
            if entry.second != second { entry = (second, format(second)) }
            return entry.bytes
        }
    }

    /// "Sun, 06 Nov 1994 08:49:37 GMT".
    static func format(_ secondsSinceEpoch: Int) -> [UInt8] {
        var time = time_t(secondsSinceEpoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text =
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
