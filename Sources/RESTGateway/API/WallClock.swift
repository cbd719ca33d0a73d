import CollabCore
import FoundationEssentials
import Glibc

/// RFC 3339 UTC timestamps with millisecond precision (`2025-04-06T12:00:00.000Z`, 24 characters:
/// the spec's maxLength for `created_at`/`modified_at`). Text of this form sorts chronologically.
public enum WallClock {
    /// Formats seconds since the Unix epoch.
    public static func format(_ seconds: Double) -> String {
        RFC3339.format(secondsSinceEpoch: seconds, fractionalDigits: 3)
    }

    /// The current wall-clock time in seconds since the epoch.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Parses an RFC 3339 date-time (any offset, optional fraction) to seconds since the epoch.
    public static func parse(_ s: String) -> Double? {
        CollabCore.Timestamp(rfc3339: s).map { Double($0.millisecondsSinceEpoch) / 1000 }
    }
}
