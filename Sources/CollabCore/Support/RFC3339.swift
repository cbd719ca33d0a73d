import FoundationEssentials

/// RFC 3339 §5.6 `date-time` in UTC, the one formatter and parser of the code base: model
/// timestamps (`Timestamp`), log lines, session messages and the health endpoint all use it.
/// Computed arithmetically (no formatter object, no time-zone data): it is written on every log
/// line, where a formatter would cost more than the rest of the line, and CollabCore stays pure.
public enum RFC3339 {
    /// Formats `date` in UTC with `fractionalDigits` (0...9) digits of fractional seconds.
    public static func format(_ date: Date, fractionalDigits: Int = 0) -> String {
        format(secondsSinceEpoch: date.timeIntervalSince1970, fractionalDigits: fractionalDigits)
    }

    /// Formats seconds since 1970 (UTC); the fraction is truncated, never rounded up.
    public static func format(secondsSinceEpoch interval: Double, fractionalDigits: Int = 0) -> String {
        var seconds = Int64(interval.rounded(.down))
        var fraction = interval - Double(seconds)
        if fraction < 0 {  // guards rounding of negative intervals
            seconds -= 1
            fraction += 1
        }
        let digits = min(max(fractionalDigits, 0), 9)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let value = min(Int((fraction * scale).rounded(.down)), Int(scale) - 1)
        return format(wholeSeconds: seconds, fraction: value, digits: digits)
    }

    /// Formats milliseconds since 1970 exactly: `2025-04-06T12:00:00.000Z` (24 characters, the
    /// spec's `maxLength` for `created_at`; text of this form sorts chronologically).
    public static func format(millisecondsSinceEpoch ms: Int64) -> String {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        return format(wholeSeconds: seconds, fraction: Int(ms - seconds * 1000), digits: 3)
    }

    static func format(wholeSeconds seconds: Int64, fraction: Int, digits: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2) + ":"
        text += pad(secondOfDay % 60, 2)
        if digits > 0 { text += "." + pad(fraction, digits) }
        return text + "Z"
    }

    /// Parses `YYYY-MM-DD"T"hh:mm:ss[.frac](Z|±hh:mm)` to milliseconds since 1970; `t`, `z` and a
    /// space separator are tolerated (§5.6 note). Fractions beyond milliseconds are truncated;
    /// a leap second (`:60`) is folded into the next second. Nil for anything else.
    public static func parseMilliseconds(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        guard u.count >= 20 else { return nil }
        func num(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for i in from..<(from + count) {
                guard i < u.count, u[i] >= 0x30, u[i] <= 0x39 else { return nil }
                v = v * 10 + Int(u[i] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), u[4] == 0x2D, let month = num(5, 2), u[7] == 0x2D, let day = num(8, 2),
            u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t") || u[10] == 0x20,
            let hour = num(11, 2), u[13] == 0x3A, let minute = num(14, 2), u[16] == 0x3A,
            let second = num(17, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        var i = 19
        var millis = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int(u[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        guard i < u.count else { return nil }
        var offsetMinutes = 0
        switch u[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard let oh = num(i + 1, 2), i + 3 < u.count, u[i + 3] == 0x3A, let om = num(i + 4, 2), oh < 24,
                om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (u[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        default:
            return nil
        }
        guard i == u.count else { return nil }
        let days = days(fromCivil: year, month, day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return secs * 1000 + Int64(millis)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (by 400-year eras of 146,097 days).
    static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * mp + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (the inverse of `days(fromCivil:)`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
