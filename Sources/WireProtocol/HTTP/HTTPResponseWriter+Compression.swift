extension HTTPResponseWriter {
    /// Gzips the body when it is large enough, of a compressible type, not already encoded, and
    /// the client accepts gzip (RFC 9110 §12.5.3). Any response that could have been compressed
    /// carries `Vary: Accept-Encoding` so caches keep both forms apart (§12.5.5).
    func negotiateCompression(
        _ headers: inout HTTPHeaders, _ body: inout [UInt8], status: Int, request: HTTPMessageHead
    ) {
        guard compression.enabled, body.count >= compression.minimumSize, status != 206,
            !headers.contains("content-encoding"), Self.isCompressible(headers["content-type"])
        else { return }
        if let vary = headers["vary"] {
            if !HTTPSyntax.listElements([vary]).contains("accept-encoding") {
                headers.set("Vary", vary + ", Accept-Encoding")
            }
        } else {
            headers.add("Vary", "Accept-Encoding")
        }
        guard Self.acceptsGzip(request.headers.values("accept-encoding")),
            let compressed = Gzip.compress(body, level: compression.level), compressed.count < body.count
        else { return }
        body = compressed
        headers.add("Content-Encoding", "gzip")
    }

    static func isCompressible(_ contentType: String?) -> Bool {
        guard let type = contentType?.lowercased() else { return false }
        let media = type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
        return media.hasPrefix("text/") || media == "application/json" || media.hasSuffix("+json")
            || media == "application/javascript" || media == "application/xml" || media.hasSuffix("+xml")
    }

    /// Whether `Accept-Encoding` allows gzip: listed (or `*`) with a non-zero q-value.
    static func acceptsGzip(_ values: [String]) -> Bool {
        var gzip: Double?
        var wildcard: Double?
        for element in HTTPSyntax.listElements(values) {
            let parts = element.split(separator: ";")
            guard let coding = parts.first?.trimmingWhitespace() else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.trimmingWhitespace()
                if pair.hasPrefix("q=") { q = Double(pair.dropFirst(2)) ?? 0 }
            }
            if coding == "gzip" || coding == "x-gzip" {
                gzip = q
            } else if coding == "*" {
                wildcard = q
            }
        }
        if let gzip { return gzip > 0 }
        return (wildcard ?? 0) > 0
    }
}
