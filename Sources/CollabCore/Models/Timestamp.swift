import FoundationEssentials

/// An instant with millisecond precision, written as an RFC 3339 `date-time` in UTC.
///
/// The output form `2025-04-06T12:00:00.000Z` is 24 characters, the `maxLength` the spec gives
/// for `created_at`/`modified_at`. Formatting and parsing are `RFC3339`'s, the code base's one.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public init(_ date: Date) {
        millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    public var date: Date { Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.millisecondsSinceEpoch < b.millisecondsSinceEpoch
    }

    public var json: JSONValue { .string(rfc3339) }
    public var description: String { rfc3339 }

    public var rfc3339: String { RFC3339.format(millisecondsSinceEpoch: millisecondsSinceEpoch) }

    /// Parses an RFC 3339 `date-time` (`RFC3339.parseMilliseconds`).
    public init?(rfc3339 s: String) {
        guard let ms = RFC3339.parseMilliseconds(s) else { return nil }
        millisecondsSinceEpoch = ms
    }
}
