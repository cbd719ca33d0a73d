import Glibc

/// A minimal SVG writer: the handful of elements the report chart needs, with attribute and text
/// escaping so labels (user-provided URLs, error text) cannot break the XML.
struct SVGDocument {
    private var body: [String] = []
    let width: Double
    let height: Double

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.append("<rect x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>")
    }

    mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1,
        dashed: Bool = false
    ) {
        body.append(
            "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(escape(stroke))\""
                + " stroke-width=\"\(n(width))\"" + (dashed ? " stroke-dasharray=\"5,4\"" : "") + "/>")
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String) {
        body.append(
            "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(Swift.max(width, 0)))\" height=\"\(n(Swift.max(height, 0)))\""
                + " fill=\"\(escape(fill))\"/>")
    }

    mutating func polyline(
        _ points: [(Double, Double)], stroke: String, width: Double = 2, dashed: Bool = false
    ) {
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        body.append(
            "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(escape(stroke))\" stroke-width=\"\(n(width))\""
                + " stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"6,4\"" : "") + "/>")
    }

    mutating func text(
        x: Double, y: Double, _ content: String, size: Double, anchor: String = "start",
        weight: String = "normal",
        fill: String = "#222222"
    ) {
        body.append(
            "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\""
                + " font-weight=\"\(weight)\" fill=\"\(escape(fill))\">\(escape(content))</text>")
    }

    mutating func verticalLabel(x: Double, y: Double, _ content: String) {
        body.append(
            "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"12\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 \(n(x)) \(n(y)))\" fill=\"#222222\">\(escape(content))</text>")
    }

    mutating func axes(_ frame: ChartFrame) {
        let bottom = frame.top + frame.height
        line(x1: frame.left, y1: bottom, x2: frame.left + frame.width, y2: bottom, stroke: "#333333")
        line(x1: frame.left, y1: frame.top, x2: frame.left, y2: bottom, stroke: "#333333")
    }

    func finish() -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\""
            + " viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"Helvetica, Arial, sans-serif\">\n"
            + body.joined(separator: "\n") + "\n</svg>\n"
    }

    /// Coordinates with one decimal: enough for a screen, short in the file.
    func n(_ v: Double) -> String { format(v.isFinite ? v : 0, 1) }

    func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters even as references.
                if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" { continue }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

struct ChartFrame {
    var left: Double
    var top: Double
    var width: Double
    var height: Double
}

/// Maps a domain interval linearly onto a pixel interval (which may run downwards for y).
struct LinearScale {
    var domain: ClosedRange<Double>
    var range: ClosedRange<Double>
    var reversed = false

    init(domain: ClosedRange<Double>, range: ClosedRange<Double>) {
        self.domain = domain
        self.range = range
    }

    init(domain: ClosedRange<Double>, range: (Double, Double)) {
        self.domain = domain
        self.range = Swift.min(range.0, range.1)...Swift.max(range.0, range.1)
        reversed = range.0 > range.1
    }

    func callAsFunction(_ v: Double) -> Double {
        let span = domain.upperBound - domain.lowerBound
        let t = span > 0 ? (v - domain.lowerBound) / span : 0
        let clamped = Swift.min(Swift.max(t, 0), 1)
        let width = range.upperBound - range.lowerBound
        return reversed ? range.upperBound - clamped * width : range.lowerBound + clamped * width
    }
}

/// The smallest 1, 2 or 5 × 10^k at or above `v`: a round axis maximum.
func niceCeiling(_ v: Double) -> Double {
    guard v > 0, v.isFinite else { return 1 }
    let magnitude = pow10(log10(v).rounded(.down))
    for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= v { return m * magnitude }
    return 10 * magnitude
}

/// About five round tick values from 0 to `max` inclusive.
func ticks(upTo max: Double) -> [Double] {
    guard max > 0, max.isFinite else { return [0] }
    let raw = max / 5
    let magnitude = pow10(log10(raw).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
    var out: [Double] = []
    var t = 0.0
    while t <= max * 1.0001 && out.count < 50 {
        out.append(t)
        t += step
    }
    return out
}

func pow10(_ x: Double) -> Double { pow(10, x) }
