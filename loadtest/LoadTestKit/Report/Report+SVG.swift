import Glibc

/// The `--svg` chart: delivery-latency percentiles over time (one line each for p50, p90, p99 and
/// max, plus ack p99) above a log-scaled histogram of every delivery latency. Hand-written SVG
/// so it needs nothing but a browser to view.
extension Report {
    public var svg: String {
        var doc = SVGDocument(width: 960, height: 760)
        doc.text(
            x: 480, y: 28,
            "tmi-loadtest: \(diagrams) diagram(s) x \(editorsPerDiagram) editors at "
                + "\(format(ratePerEditor, 1)) op/s, \(format(measuredSeconds, 0)) s", size: 16,
            anchor: "middle",
            weight: "bold")
        drawTimeChart(&doc, frame: ChartFrame(left: 80, top: 60, width: 820, height: 300))
        drawHistogram(&doc, frame: ChartFrame(left: 80, top: 440, width: 820, height: 260))
        return doc.finish()
    }

    func drawTimeChart(_ doc: inout SVGDocument, frame: ChartFrame) {
        doc.text(
            x: frame.left, y: frame.top - 12, "Delivery latency percentiles over time", size: 14,
            weight: "bold")
        let series: [(String, String, (LatencySummary) -> Double, [LatencySeries.Point])] = [
            ("p50", "#1f77b4", { $0.p50Ms }, deliverySeries),
            ("p90", "#2ca02c", { $0.p90Ms }, deliverySeries),
            ("p99", "#ff7f0e", { $0.p99Ms }, deliverySeries),
            ("max", "#d62728", { $0.maxMs }, deliverySeries),
            ("ack p99", "#7f7f7f", { $0.p99Ms }, ackSeries),
        ]
        let lastSecond = (deliverySeries + ackSeries).map(\.second).max() ?? 0
        let xMax = Swift.max(lastSecond + 1, measuredSeconds, 1)
        let yValues = series.flatMap { s in s.3.map { s.2($0.summary) } }
        let yMax = niceCeiling(Swift.max(yValues.max() ?? 0, 0.1))
        let xScale = LinearScale(domain: 0...xMax, range: frame.left...(frame.left + frame.width))
        let yScale = LinearScale(domain: 0...yMax, range: (frame.top + frame.height, frame.top))
        doc.axes(frame)
        for t in ticks(upTo: xMax) {
            let x = xScale(t)
            doc.line(
                x1: x, y1: frame.top + frame.height, x2: x, y2: frame.top + frame.height + 5, stroke: "#333")
            doc.text(
                x: x, y: frame.top + frame.height + 20, format(t, xMax <= 5 ? 1 : 0), size: 11,
                anchor: "middle")
        }
        for t in ticks(upTo: yMax) {
            let y = yScale(t)
            doc.line(x1: frame.left, y1: y, x2: frame.left + frame.width, y2: y, stroke: "#e5e5e5")
            doc.text(x: frame.left - 8, y: y + 4, format(t, yMax < 10 ? 2 : 0), size: 11, anchor: "end")
        }
        doc.text(
            x: frame.left + frame.width / 2, y: frame.top + frame.height + 40, "seconds", size: 12,
            anchor: "middle")
        doc.verticalLabel(x: frame.left - 55, y: frame.top + frame.height / 2, "latency (ms)")
        if yValues.isEmpty {
            doc.text(
                x: frame.left + frame.width / 2, y: frame.top + frame.height / 2, "no samples", size: 14,
                anchor: "middle")
        }
        // Drawn from max down to p50 so the lower (usually more interesting) lines stay on top;
        // max is thinner and dashed because in a one-second window it often sits on p99.
        for s in series.reversed() {
            let points = s.3.map { (xScale($0.second + 0.5), yScale(s.2($0.summary))) }
            guard !points.isEmpty else { continue }
            doc.polyline(
                points, stroke: s.1, width: s.0 == "max" ? 1.2 : 2, dashed: s.0 == "ack p99" || s.0 == "max")
        }
        for (i, s) in series.enumerated() {
            let lx = frame.left + 10 + Double(i) * 95
            doc.line(x1: lx, y1: frame.top + 12, x2: lx + 20, y2: frame.top + 12, stroke: s.1, width: 2.5)
            doc.text(x: lx + 25, y: frame.top + 16, s.0, size: 11)
        }
    }

    func drawHistogram(_ doc: inout SVGDocument, frame: ChartFrame) {
        doc.text(
            x: frame.left, y: frame.top - 12, "Delivery latency distribution (log scale)", size: 14,
            weight: "bold")
        doc.axes(frame)
        let buckets = delivery.nonEmptyBuckets
        guard let first = buckets.first, let last = buckets.last else {
            doc.text(
                x: frame.left + frame.width / 2, y: frame.top + frame.height / 2, "no samples", size: 14,
                anchor: "middle")
            return
        }
        // Regroup the fine buckets into ~60 equal bins on a log axis (ms).
        let lo = Swift.max(Double(first.lower) / 1000, 0.001)
        let hi = Swift.max(Double(last.upper) / 1000, lo * 1.01)
        let logLo = log10(lo), logHi = log10(hi)
        let binCount = 60
        var bins = [UInt64](repeating: 0, count: binCount)
        for b in buckets {
            let ms = Swift.max(Double(b.lower + b.upper) / 2000, lo)
            let i = Int((log10(ms) - logLo) / (logHi - logLo) * Double(binCount))
            bins[Swift.min(Swift.max(i, 0), binCount - 1)] += b.count
        }
        let yMax = niceCeiling(Double(bins.max() ?? 1))
        let yScale = LinearScale(domain: 0...yMax, range: (frame.top + frame.height, frame.top))
        let barWidth = frame.width / Double(binCount)
        for (i, n) in bins.enumerated() where n > 0 {
            let y = yScale(Double(n))
            doc.rect(
                x: frame.left + Double(i) * barWidth + 1, y: y, width: barWidth - 2,
                height: frame.top + frame.height - y,
                fill: "#4c78a8")
        }
        for t in ticks(upTo: yMax) {
            let y = yScale(t)
            doc.text(x: frame.left - 8, y: y + 4, format(t, 0), size: 11, anchor: "end")
        }
        let logScale = LinearScale(domain: logLo...logHi, range: frame.left...(frame.left + frame.width))
        var decade = logLo.rounded(.down)
        while decade <= logHi {
            for m in [1.0, 2, 5] {
                let v = log10(m) + decade
                if v >= logLo && v <= logHi {
                    let x = logScale(v)
                    doc.line(
                        x1: x, y1: frame.top + frame.height, x2: x, y2: frame.top + frame.height + 5,
                        stroke: "#333")
                    doc.text(
                        x: x, y: frame.top + frame.height + 20, tickLabel(pow10(v)), size: 11,
                        anchor: "middle")
                }
            }
            decade += 1
        }
        let summary = delivery.summary
        for (name, value, color) in [("p50", summary.p50Ms, "#1f77b4"), ("p99", summary.p99Ms, "#ff7f0e")] {
            let x = logScale(log10(Swift.max(value, lo)))
            doc.line(
                x1: x, y1: frame.top, x2: x, y2: frame.top + frame.height, stroke: color, width: 1.5,
                dashed: true)
            // Keep the label inside the chart: left of the marker when it is near the right edge.
            let nearEdge = x > frame.left + frame.width - 110
            doc.text(
                x: nearEdge ? x - 4 : x + 4, y: frame.top + 14, "\(name) \(format(value, 2)) ms", size: 11,
                anchor: nearEdge ? "end" : "start", fill: color)
        }
        doc.text(
            x: frame.left + frame.width / 2, y: frame.top + frame.height + 40, "latency (ms)", size: 12,
            anchor: "middle")
        doc.verticalLabel(x: frame.left - 55, y: frame.top + frame.height / 2, "operations")
    }

    func tickLabel(_ v: Double) -> String {
        v >= 10 ? format(v, 0) : v >= 1 ? format(v, 1) : v >= 0.01 ? format(v, 2) : format(v, 3)
    }
}
