import Glibc

/// A point in monotonic time (CLOCK_MONOTONIC nanoseconds) after which an I/O wait gives up.
///
/// Deadlines are enforced by the poller thread's `epoll_wait` timeout, so a timeout costs no thread
/// and no task of its own.
public struct IODeadline: Sendable, Hashable, Comparable {
    public let nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The current monotonic time.
    public static var now: IODeadline { IODeadline(nanoseconds: monotonicNanoseconds()) }

    /// `duration` from now.
    public static func after(_ duration: Duration) -> IODeadline {
        now.advanced(by: duration)
    }

    public func advanced(by duration: Duration) -> IODeadline {
        let (seconds, attoseconds) = duration.components
        let (secondsNanos, o1) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (delta, o2) = secondsNanos.addingReportingOverflow(attoseconds / 1_000_000_000)
        let (sum, o3) = nanoseconds.addingReportingOverflow(delta)
        return IODeadline(nanoseconds: (o1 || o2 || o3) ? (seconds < 0 ? 0 : Int64.max) : sum)
    }

    public var hasPassed: Bool { self <= .now }

    public static func < (lhs: IODeadline, rhs: IODeadline) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
