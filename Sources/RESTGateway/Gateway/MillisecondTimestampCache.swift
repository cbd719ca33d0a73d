import CollabCore
import FoundationEssentials
import Synchronization

/// Formats timestamps with millisecond precision, reusing the date-and-seconds part while the
/// second is unchanged (every log line needs one; most share the second of the previous line).
public final class MillisecondTimestampCache: Sendable {
    public init() {}

    private let cached = Mutex<(second: Int64, prefix: String)>((Int64.min, ""))

    public func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let second = Int64(interval.rounded(.down))
        let millisecond = min(max(Int((interval - Double(second)) * 1000), 0), 999)
        let prefix = cached.withLock { cache -> String in
            if cache.second != second {
                let whole = RFC3339.format(Date(timeIntervalSince1970: Double(second)))
                cache = (second, String(whole.dropLast()))  // drop the "Z"
            }
            return cache.prefix
        }
        let digits = String(millisecond)
        return prefix + (millisecond < 10 ? ".00" : millisecond < 100 ? ".0" : ".") + digits + "Z"
    }
}
