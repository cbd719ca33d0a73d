/// Builds the Prometheus text exposition format 0.0.4: `# HELP` and `# TYPE` once per family,
/// then one sample per line, label values escaped (`\\`, `\"`, `\n`), histograms as cumulative
/// `_bucket{le=...}` lines ending in `+Inf`, then `_sum` and `_count`.
public struct MetricsText: Sendable {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public private(set) var text = ""

    public init() {}

    /// Starts a family; every sample of it must follow before the next family starts.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        text += Self.labelText(labels)
        text += " \(Self.format(value))\n"
    }

    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        text += name
        text += Self.labelText(labels)
        text += " \(value)\n"
    }

    /// One family with one sample (the common case of a process-wide counter or gauge).
    public mutating func single(_ name: String, _ kind: Kind, help: String, _ value: Double) {
        family(name, kind, help: help)
        sample(name, [], value)
    }

    /// The samples of one histogram series (the family header must already be written).
    public mutating func histogram(
        _ name: String, _ labels: [(String, String)] = [],
        _ h: (upperBounds: [Double], cumulativeCounts: [UInt64], count: UInt64, sum: Double)
    ) {
        for (bound, count) in zip(h.upperBounds, h.cumulativeCounts) {
            sample("\(name)_bucket", labels + [("le", Self.format(bound))], count)
        }
        sample("\(name)_bucket", labels + [("le", "+Inf")], h.count)
        sample("\(name)_sum", labels, h.sum)
        sample("\(name)_count", labels, h.count)
    }

    static func labelText(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escapeLabel(_ value: String) -> String {
        guard value.contains(where: { $0 == "\\" || $0 == "\"" || $0 == "\n" }) else { return value }
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    static func escapeHelp(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form; `+Inf`, `-Inf`,
    /// `NaN` as the format spells them.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}
