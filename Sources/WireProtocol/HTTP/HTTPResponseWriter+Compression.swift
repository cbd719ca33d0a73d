extension HTTPResponseWriter {
    /// Fields the compression decision adds to the head. They are written straight into it:
    /// adding them to the response's headers would copy the handler's (often shared) field list
    /// for every large response.
    struct AddedFields {
        /// `Vary: Accept-Encoding`.
        var vary = false
        /// `Content-Encoding: gzip`.
        var gzip = false
    }

    /// Gzips the body when it is large enough, of a compressible type, not already encoded, and
    /// the client accepts gzip (RFC 9110 §12.5.3). Any response that could have been compressed
    /// carries `Vary: Accept-Encoding` so caches keep both forms apart (§12.5.5).
    func negotiateCompression(
        _ headers: inout HTTPHeaders, _ body: inout [UInt8], status: Int, request: HTTPMessageHead
    ) -> AddedFields {
        var added = AddedFields()
        guard compression.enabled, body.count >= compression.minimumSize, status != 206,
            !headers.contains("content-encoding"), Self.isCompressible(headers["content-type"])
        else { return added }
        if let vary = headers["vary"] {
            if !HTTPSyntax.listElements([vary]).contains("accept-encoding") {
                headers.set("Vary", vary + ", Accept-Encoding")
            }
        } else {
            added.vary = true
        }
        guard Self.acceptsGzip(request.headers.values("accept-encoding")),
            let compressed = Gzip.compress(body, level: compression.level), compressed.count < body.count
        else { return added }
        body = compressed
        added.gzip = true
        return added
    }

    /// Whether the media type of `contentType` (before any parameters, ASCII case-insensitive,
    /// RFC 9110 §8.3.1) is worth compressing. Runs for every response of 1 KB or more, so it reads
    /// the value's bytes in place: lowercasing, splitting and trimming it as strings was 12 % of
    /// the CPU of a bare 1 KB JSON response (issue 15).
    static func isCompressible(_ contentType: String?) -> Bool {
        guard var type = contentType else { return false }
        return type.withUTF8 { bytes in
            var start = 0
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            while start < end && (bytes[start] == 32 || bytes[start] == 9) { start += 1 }
            while end > start && (bytes[end - 1] == 32 || bytes[end - 1] == 9) { end -= 1 }
            let media = UnsafeBufferPointer(rebasing: bytes[start..<end])
            return media.hasASCIIPrefix("text/") || media.equalsASCII("application/json")
                || media.hasASCIISuffix("+json") || media.equalsASCII("application/javascript")
                || media.equalsASCII("application/xml") || media.hasASCIISuffix("+xml")
        }
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

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes, from `offset`, are `literal`, ignoring ASCII case (the comparison
    /// header names use, `String.asciiCaseInsensitiveEqual`).
    fileprivate func matchesASCII(_ literal: StaticString, at offset: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset >= 0, offset + count <= self.count else { return false }
        return String.asciiCaseInsensitiveEqual(
            UnsafeBufferPointer(rebasing: self[offset..<offset + count]),
            UnsafeBufferPointer(start: literal.utf8Start, count: count))
    }

    fileprivate func equalsASCII(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && matchesASCII(literal, at: 0)
    }

    fileprivate func hasASCIIPrefix(_ literal: StaticString) -> Bool { matchesASCII(literal, at: 0) }

    fileprivate func hasASCIISuffix(_ literal: StaticString) -> Bool {
        matchesASCII(literal, at: count - literal.utf8CodeUnitCount)
    }
}
