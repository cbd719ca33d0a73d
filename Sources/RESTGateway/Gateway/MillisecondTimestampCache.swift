import CollabCore
import FoundationEssentials
import Synchronization

/// Formats timestamps with millisecond precision, reusing the date-and-seconds part while the
/// second is unchanged (every log line needs one; most share the second of the previous line).
public final class MillisecondTimestampCache: Sendable {
    public init() {}

    /// The second last formatted and its text up to the seconds ("2025-06-15T15:06:40").
    private let cached = Mutex<(second: Int64, prefix: [UInt8])>((Int64.min, []))

    public func format(_ date: Date) -> String {
        String(unsafeUninitializedCapacity: Self.maximumLength) { buffer in
            var cursor = ByteCursor(buffer)
            write(date, to: &cursor)
            return cursor.count
        }
    }

    /// The longest a timestamp's text can be: 24 bytes for years 0000–9999; a clock far off
    /// widens the year, to at most 13 characters with its sign for any second an `Int64` holds.
    static let maximumLength = 40

    /// Writes the timestamp (at most `maximumLength` bytes).
    func write(_ date: Date, to out: inout ByteCursor) {
        let interval = date.timeIntervalSince1970
        let second = Int64(interval.rounded(.down))
        let millisecond = min(max(Int((interval - Double(second)) * 1000), 0), 999)
        cached.withLock { cache in
            if cache.second != second {
                let whole = RFC3339.format(Date(timeIntervalSince1970: Double(second)))
                cache = (second, Array(whole.utf8.dropLast()))  // drop the "Z"
            }
            cache.prefix.withUnsafeBufferPointer { out.write($0) }
        }
        out.write(UInt8(ascii: "."))
        out.write(UInt8(ascii: "0") + UInt8(millisecond / 100))
        out.write(UInt8(ascii: "0") + UInt8(millisecond / 10 % 10))
        out.write(UInt8(ascii: "0") + UInt8(millisecond % 10))
        out.write(UInt8(ascii: "Z"))
    }
}
