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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the timestamp ("2025-06-15T15:06:40.250Z") to `out` without building a `String`.
    public func append(_ date: Date, to out: inout [UInt8]) {
        out += [UInt8](unsafeUninitializedCapacity: Self.length) { buffer, initialized in
            var cursor = ByteCursor(buffer)
            write(date, to: &cursor)
            initialized = cursor.count
        }
    }

    /// The length of a timestamp's text.
    static let length = 24

    /// Writes the timestamp (`length` bytes).
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
