import CollabCore
import Storage

/// The list filters and sort of `GET /threat_models`: `owner`, `name`, `description`,
/// `issue_url` (case-insensitive substring), `created_after/before`, `modified_after/before`
/// (RFC 3339), `sort=field:asc|desc` (default `created_at:desc`).
struct ThreatModelFilter {
    static let sortable: Set<String> = [
        "name", "created_at", "modified_at", "owner", "threat_model_framework",
    ]

    var contains: [(field: String, needle: String)] = []
    var ranges: [(field: String, after: Bool, bound: Double)] = []
    var sortField = "created_at"
    var descending = true

    init(query: [String: String]) throws(APIError) {
        for f in ["owner", "name", "description", "issue_url"] {
            if let v = query[f], !v.isEmpty { contains.append((f, v.lowercased())) }
        }
        for (param, field, after) in [
            ("created_after", "created_at", true), ("created_before", "created_at", false),
            ("modified_after", "modified_at", true), ("modified_before", "modified_at", false),
        ] {
            guard let raw = query[param] else { continue }
            guard let t = WallClock.parse(raw) else {
                throw APIError.badRequest(
                    "\(param) must be an RFC 3339 date-time",
                    details: ["context": ["parameter": .string(param)]])
            }
            ranges.append((field, after, t))
        }
        // `sort` is a free string in the spec and the list declares no 400: a value that names
        // no sortable field (or no direction) keeps the default order instead of failing.
        if let sort = query["sort"] {
            let parts = sort.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if (1...2).contains(parts.count), Self.sortable.contains(parts[0]),
                parts.count == 1 || parts[1] == "asc" || parts[1] == "desc"
            {
                sortField = parts[0]
                descending = parts.count == 2 && parts[1] == "desc"
            }
        }
    }

    func matches(_ record: ThreatModelRecord) -> Bool {
        for (field, needle) in contains {
            guard let v = record.fields[field]?.stringValue, v.lowercased().contains(needle) else {
                return false
            }
        }
        for (field, after, bound) in ranges {
            guard let t = record.fields[field]?.stringValue.flatMap(WallClock.parse) else { return false }
            if after ? !(t > bound) : !(t < bound) { return false }
        }
        return true
    }

    /// Sorted by the field, ties broken by id so pages are stable.
    func sort(_ records: [ThreatModelRecord]) -> [ThreatModelRecord] {
        records.sorted { a, b in
            let x = a.fields[sortField]?.stringValue ?? ""
            let y = b.fields[sortField]?.stringValue ?? ""
            if x != y { return descending ? x > y : x < y }
            return (a.fields["id"]?.stringValue ?? "") < (b.fields["id"]?.stringValue ?? "")
        }
    }
}
