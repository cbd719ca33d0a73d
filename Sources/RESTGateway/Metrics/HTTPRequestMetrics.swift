import WireProtocol

/// Requests answered by the gateway, by route template (never the raw path, so ids do not turn
/// into unbounded label values) and status, with a latency histogram per route. Everything is
/// preallocated at start from the compiled routes; recording is a few relaxed atomic adds.
public final class HTTPRequestMetrics: Sendable {
    /// Statuses the server answers, each with its own series; any other status falls into the
    /// series of its class (`2xx`, `4xx`...).
    static let statuses: [Int] = [
        101, 200, 201, 204, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410,
        411, 412, 413, 414, 415, 416, 422, 426, 429, 431, 500, 501, 502, 503, 504,
    ]
    static let classes = ["1xx", "2xx", "3xx", "4xx", "5xx"]
    static let slotsPerRoute = statuses.count + classes.count
    /// Status (0...599) to slot.
    static let slotOfStatus: [Int] = {
        var table = [Int](repeating: -1, count: 600)
        for (i, s) in statuses.enumerated() { table[s] = i }
        for s in 100..<600 where table[s] < 0 { table[s] = statuses.count + s / 100 - 1 }
        return table
    }()

    /// `(method, route template)` per route index, then one entry for requests matching no route.
    let labels: [(method: String, route: String)]
    private let counts: AtomicCounters
    private let latency: [AtomicHistogram]

    /// - Parameter routes: method and template of each route, in router index order.
    init(routes: [(method: String, route: String)]) {
        labels = routes + [("", "unmatched")]
        counts = AtomicCounters(count: labels.count * Self.slotsPerRoute)
        latency = labels.map { _ in AtomicHistogram() }
    }

    /// The index used for a request no route matched (404, 405, OPTIONS on a path).
    var unmatched: Int { labels.count - 1 }

    @inline(__always)
    func record(route: Int, status: Int, nanoseconds: UInt64) {
        let r = route >= 0 && route < labels.count ? route : unmatched
        let slot = status >= 100 && status < 600 ? Self.slotOfStatus[status] : Self.statuses.count + 4
        counts.add(r * Self.slotsPerRoute + slot)
        latency[r].record(nanoseconds: nanoseconds)
    }

    /// The requests counter of one route and status (for tests).
    func count(route: Int, status: Int) -> UInt64 {
        counts.load(route * Self.slotsPerRoute + Self.slotOfStatus[status])
    }

    func render(into out: inout MetricsText) {
        out.family(
            "tmi_http_requests_total", .counter, help: "HTTP requests answered, by route template and status."
        )
        for (r, label) in labels.enumerated() {
            for slot in 0..<Self.slotsPerRoute {
                let n = counts.load(r * Self.slotsPerRoute + slot)
                guard n > 0 else { continue }
                let status =
                    slot < Self.statuses.count
                    ? String(Self.statuses[slot]) : Self.classes[slot - Self.statuses.count]
                out.sample(
                    "tmi_http_requests_total",
                    [("method", label.method), ("route", label.route), ("status", status)], n)
            }
        }
        out.family(
            "tmi_http_request_duration_seconds", .histogram,
            help: "Time from a parsed request to its response, by route template.")
        for (r, label) in labels.enumerated() {
            let h = latency[r].snapshot
            guard h.count > 0 else { continue }
            out.histogram(
                "tmi_http_request_duration_seconds", [("method", label.method), ("route", label.route)], h)
        }
    }
}
