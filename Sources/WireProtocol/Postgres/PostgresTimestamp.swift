import FoundationEssentials

/// timestamptz in the ISO text form the client selects at startup (`DateStyle=ISO`,
/// `TimeZone=UTC`): `2024-05-06 07:08:09.123456+00`, with ` BC` for years before 1 and
/// `infinity`/`-infinity`. Calendar arithmetic is done on integers (days from the civil date),
/// so no time zone database or formatter is involved.
enum PostgresTimestamp {
    static func format(_ date: Date) -> String {
        if date == .distantFuture { return "infinity" }
        if date == .distantPast { return "-infinity" }
        // From the reference date (2001), where Date keeps its Double: exact to the microsecond
        // for decades either side, rather than losing a bit to the shift to 1970 first.
        let sinceReference = (date.timeIntervalSinceReferenceDate * 1_000_000).rounded()
        guard abs(sinceReference) < 9e18 else { return sinceReference < 0 ? "-infinity" : "infinity" }
        let micros = Int64(sinceReference) + referenceOffsetMicros
        let (days, microsOfDay) = floorDivide(micros, 86_400_000_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = microsOfDay / 1_000_000
        let fraction = microsOfDay % 1_000_000
        let bc = year <= 0
        var out = pad(bc ? 1 - year : year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        out += " " + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        out += "." + pad(fraction, 6) + "+00"
        if bc { out += " BC" }
        return out
    }

    static func parse(_ bytes: [UInt8]) -> Date? {
        if bytes == Array("infinity".utf8) { return .distantFuture }
        if bytes == Array("-infinity".utf8) { return .distantPast }
        var s = Scanner(bytes: bytes)
        guard let year = s.number(minDigits: 4), s.skip(0x2D), let month = s.number(exactDigits: 2),
            s.skip(0x2D),
            let day = s.number(exactDigits: 2), s.skip(0x20), let hour = s.number(exactDigits: 2),
            s.skip(0x3A),
            let minute = s.number(exactDigits: 2), s.skip(0x3A), let second = s.number(exactDigits: 2)
        else { return nil }
        var micros: Int64 = 0
        if s.skip(0x2E) {
            let start = s.index
            guard let digits = s.number(minDigits: 1), s.index - start <= 6 else { return nil }
            micros = digits
            for _ in 0..<(6 - (s.index - start)) { micros *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if let sign = s.peek(), sign == 0x2B || sign == 0x2D {
            s.index += 1
            guard let h = s.number(exactDigits: 2) else { return nil }
            var offset = h * 3600
            if s.skip(0x3A) {
                guard let m = s.number(exactDigits: 2) else { return nil }
                offset += m * 60
                if s.skip(0x3A) {
                    guard let sec = s.number(exactDigits: 2) else { return nil }
                    offset += sec
                }
            }
            offsetSeconds = sign == 0x2D ? -offset : offset
        }
        var civilYear = year
        if s.skip(0x20) {
            guard s.rest.elementsEqual("BC".utf8) else { return nil }
            civilYear = 1 - year
        } else if !s.atEnd {
            return nil
        }
        // PostgreSQL's own range ends at 294276 AD; the bound also keeps the arithmetic below
        // far from overflow.
        guard year <= 300_000, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else {
            return nil
        }
        let days = days(fromCivil: civilYear, month, day)
        let total = (days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds) * 1_000_000 + micros
        return Date(timeIntervalSinceReferenceDate: Double(total - referenceOffsetMicros) / 1_000_000)
    }

    /// 2001-01-01 (Date's reference) minus 1970-01-01, in microseconds.
    static let referenceOffsetMicros: Int64 = 978_307_200_000_000

    /// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).quotient
        let yearOfEra = y - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var rest: ArraySlice<UInt8> { bytes[index...] }

        func peek() -> UInt8? { atEnd ? nil : bytes[index] }

        mutating func skip(_ c: UInt8) -> Bool {
            guard peek() == c else { return false }
            index += 1
            return true
        }

        mutating func number(minDigits: Int = 1, exactDigits: Int? = nil) -> Int64? {
            let start = index
            var value: Int64 = 0
            while let c = peek(), (0x30...0x39).contains(c), index - start < 18 {
                value = value * 10 + Int64(c - 0x30)
                index += 1
            }
            let count = index - start
            if let exactDigits { return count == exactDigits ? value : nil }
            return count >= minDigits ? value : nil
        }
    }
}
