/// RFC 3339 UTC timestamps (`2024-01-15T10:30:00Z`, or with milliseconds) for the catalogue's
/// `timestamp` and `last_activity` fields, computed from a time the caller supplies (no clock here).
public enum CollabTimestamp {
    public static func rfc3339(secondsSince1970 t: Double) -> String {
        let millis = Int64((t * 1000).rounded(.down))
        var secs = millis / 1000
        var ms = millis % 1000
        if ms < 0 {
            ms += 1000
            secs -= 1
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        // Civil date from day count (Howard Hinnant's algorithm, proleptic Gregorian).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        var out =
            "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if ms != 0 { out += ".\(pad(ms, 3))" }
        return out + "Z"
    }
}
