import FoundationEssentials
import Synchronization

/// RFC 3339 §5.6 `date-time` in UTC (`2025-04-09T12:00:00Z`), computed arithmetically: it is
/// written on every log line, where a formatter object would cost more than the rest of the line.
public enum RFC3339 {
    /// Formats `date` in UTC with `fractionalDigits` (0...9) digits of fractional seconds.
    public static func format(_ date: Date, fractionalDigits: Int = 0) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int64(interval.rounded(.down))
        var fraction = interval - Double(seconds)
        if fraction < 0 {  // guards rounding of negative intervals
            seconds -= 1
            fraction += 1
        }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":"
        text += pad(secondOfDay % 60, 2)
        let digits = min(max(fractionalDigits, 0), 9)
        if digits > 0 {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let value = min(Int((fraction * scale).rounded(.down)), Int(scale) - 1)
            text += "." + pad(value, digits)
        }
        return text + "Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (the "days from civil" inverse, by
    /// 400-year eras of 146,097 days).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Formats timestamps with millisecond precision, reusing the date-and-seconds part while the
/// second is unchanged (every log line needs one; most share the second of the previous line).
final class MillisecondTimestampCache: Sendable {
    private let cached = Mutex<(second: Int64, prefix: String)>((Int64.min, ""))

    func format(_ date: Date) -> String {
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
