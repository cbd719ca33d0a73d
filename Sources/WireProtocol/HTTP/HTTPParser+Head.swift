import Glibc

extension HTTPParser {
    static let lf: UInt8 = 10
    static let cr: UInt8 = 13

    /// Skips the empty lines a client may send before a request line (RFC 9112 §2.2), finds the
    /// end of the head, enforces the size limits, and parses it.
    mutating func parseHeadIfComplete() throws(HTTPParseError) -> HTTPMessageHead? {
        if scan.position == index {
            var needMore = false
            while index < buffer.count {
                if buffer[index] == Self.lf {
                    index += 1
                } else if buffer[index] == Self.cr {
                    guard index + 1 < buffer.count else {
                        needMore = true
                        break
                    }
                    guard buffer[index + 1] == Self.lf else { break }
                    index += 2
                } else {
                    break
                }
            }
            scan = SectionScan(position: index, lineStart: index, firstLineEnd: nil)
            if needMore { return nil }
        }
        let end = scanSection()
        // The start line is judged as soon as its end is seen, not when the head ends: otherwise
        // the same bytes would get 414 when they arrive slowly and another answer when they
        // arrive at once (found by the `http` fuzz target, docs/fuzzing.md).
        if let firstEnd = scan.firstLineEnd {
            let length = firstEnd - index - (buffer[firstEnd - 1] == Self.cr ? 1 : 0)
            if length > limits.maxRequestLineLength {
                throw fail(mode == .request ? .requestLineTooLong : .headTooLarge)
            }
        }
        guard let end else {
            let pending = buffer.count - index
            // A line longer than the limit plus its CR can no longer end within the limit.
            if scan.firstLineEnd == nil && pending > limits.maxRequestLineLength + 1 {
                throw fail(mode == .request ? .requestLineTooLong : .headTooLarge)
            }
            if pending > limits.maxHeadLength { throw fail(.headTooLarge) }
            return nil
        }
        if end - index > limits.maxHeadLength { throw fail(.headTooLarge) }
        let start = index
        let head: HTTPMessageHead
        do {
            head = try buffer.withUnsafeBufferPointer { buf throws(HTTPParseError) in
                try parseHead(buf, from: start, to: end)
            }
        } catch {
            throw fail(error)
        }
        index = end
        state = .bodyPending(head.framing)
        return head
    }

    /// Finds the end (index after the LF of the empty line) of the field section being scanned,
    /// resuming where the previous call stopped.
    mutating func scanSection() -> Int? {
        let (found, position, lineStart, firstLineEnd) = buffer.withUnsafeBufferPointer {
            buf -> (Int?, Int, Int, Int?) in
            var lineStart = scan.lineStart
            var firstLineEnd = scan.firstLineEnd
            // memchr jumps from line feed to line feed (a 1 KB bearer token is one line).
            var i = scan.position
            while let i2 = Self.indexOfLineFeed(buf, from: i, to: buf.count) {
                i = i2
                let length = i - lineStart
                if length == 0 || (length == 1 && buf[lineStart] == Self.cr) {
                    return (i + 1, i + 1, i + 1, firstLineEnd)
                }
                if firstLineEnd == nil { firstLineEnd = i }
                lineStart = i + 1
                i += 1
            }
            return (nil, buf.count, lineStart, firstLineEnd)
        }
        scan = SectionScan(position: position, lineStart: lineStart, firstLineEnd: firstLineEnd)
        return found
    }

    /// Parses a complete head occupying `buf[start..<end]`.
    func parseHead(_ buf: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) throws(HTTPParseError)
        -> HTTPMessageHead
    {
        var lines = LineCursor(buf: buf, position: start, end: end)
        guard let startLine = lines.next() else { throw .badRequest("empty head") }
        var head = HTTPMessageHead()
        switch mode {
        case .request: try Self.parseRequestLine(buf, startLine, into: &head)
        case .response: try Self.parseStatusLine(buf, startLine, into: &head)
        }
        head.headers = try Self.parseFields(&lines, maxCount: limits.maxHeaderCount)
        try decideFraming(&head)
        return head
    }

    static func parseRequestLine(
        _ buf: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into head: inout HTTPMessageHead
    ) throws(HTTPParseError) {
        var firstSpace: Int?
        var lastSpace: Int?
        for i in line where buf[i] == UInt8(ascii: " ") {
            if firstSpace == nil { firstSpace = i }
            lastSpace = i
        }
        guard let sp1 = firstSpace, let sp2 = lastSpace, sp1 < sp2 else {
            throw .badRequest("request line is not method, target and version")
        }
        let method = line.lowerBound..<sp1
        let target = (sp1 + 1)..<sp2
        guard !method.isEmpty, method.allSatisfy({ HTTPSyntax.isToken(buf[$0]) }) else {
            throw .badRequest("invalid method")
        }
        guard !target.isEmpty, target.allSatisfy({ buf[$0] > 0x20 && buf[$0] < 0x7F }) else {
            throw .badRequest("invalid request target")
        }
        head.versionMinor = try parseVersion(buf, (sp2 + 1)..<line.upperBound)
        head.method = HTTPSyntax.string(buf, method)
        head.target = originForm(HTTPSyntax.string(buf, target))
    }

    /// RFC 9112 §3.2.2: a server MUST accept the absolute form ("http://host/path?q"); routing
    /// only needs the path and query, so it is reduced to the origin form ("/path?q").
    static func originForm(_ target: String) -> String {
        // Nearly every target is already in origin form: it is returned before any copy.
        guard let first = target.utf8.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "*") else {
            return target
        }
        let bytes = Array(target.utf8)
        let scheme: Int
        if bytes.count >= 7, String(decoding: bytes[0..<7], as: UTF8.self).lowercased() == "http://" {
            scheme = 7
        } else if bytes.count >= 8, String(decoding: bytes[0..<8], as: UTF8.self).lowercased() == "https://" {
            scheme = 8
        } else {
            return target
        }
        guard
            let start = bytes[scheme...].firstIndex(where: {
                $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?")
            })
        else { return "/" }
        let tail = String(decoding: bytes[start...], as: UTF8.self)
        return bytes[start] == UInt8(ascii: "?") ? "/" + tail : tail
    }

    static func parseStatusLine(
        _ buf: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into head: inout HTTPMessageHead
    ) throws(HTTPParseError) {
        let s = line.lowerBound
        guard line.count >= 12, buf[s + 8] == UInt8(ascii: " ") else {
            throw .badRequest("invalid status line")
        }
        head.versionMinor = try parseVersion(buf, s..<(s + 8))
        var status = 0
        for i in (s + 9)..<(s + 12) {
            guard HTTPSyntax.isDigit(buf[i]) else { throw .badRequest("invalid status code") }
            status = status * 10 + Int(buf[i] - 48)
        }
        guard line.count == 12 || buf[s + 12] == UInt8(ascii: " ") else {
            throw .badRequest("invalid status line")
        }
        head.status = status
        head.reason = line.count > 13 ? HTTPSyntax.string(buf, (s + 13)..<line.upperBound) : ""
    }

    /// "HTTP/1.x" → x; another major version → 505 (RFC 9110 §6.2).
    static func parseVersion(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(HTTPParseError)
        -> Int
    {
        let s = range.lowerBound
        // Compared in place: building the prefix as an array allocated on every request.
        guard range.count == 8, buf[s] == UInt8(ascii: "H"), buf[s + 1] == UInt8(ascii: "T"),
            buf[s + 2] == UInt8(ascii: "T"), buf[s + 3] == UInt8(ascii: "P"), buf[s + 4] == UInt8(ascii: "/"),
            HTTPSyntax.isDigit(buf[s + 5]), buf[s + 6] == UInt8(ascii: "."), HTTPSyntax.isDigit(buf[s + 7])
        else { throw .badRequest("invalid HTTP version") }
        guard buf[s + 5] == UInt8(ascii: "1") else { throw .unsupportedVersion }
        return Int(buf[s + 7] - 48)
    }

    /// Parses field lines up to the empty line. RFC 9112 §5.1: whitespace between the name and the
    /// colon MUST be rejected (400); §5.2: obsolete line folding is rejected.
    static func parseFields(_ lines: inout LineCursor, maxCount: Int) throws(HTTPParseError) -> HTTPHeaders {
        let buf = lines.buf
        var fields: [(name: String, value: String)] = []
        // Most requests carry a handful of fields: one allocation instead of growing 1, 2, 4, 8.
        fields.reserveCapacity(8)
        while let line = lines.next() {
            if line.isEmpty { break }
            guard fields.count < maxCount else { throw .tooManyFields }
            let first = buf[line.lowerBound]
            if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                throw .badRequest("obsolete line folding")
            }
            var colon = line.lowerBound
            while colon < line.upperBound, buf[colon] != UInt8(ascii: ":") {
                guard HTTPSyntax.isToken(buf[colon]) else { throw .badRequest("invalid field name") }
                colon += 1
            }
            guard colon < line.upperBound, colon > line.lowerBound else {
                throw .badRequest("invalid field line")
            }
            var valueStart = colon + 1
            var valueEnd = line.upperBound
            while valueStart < valueEnd, HTTPSyntax.isWhitespace(buf[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart, HTTPSyntax.isWhitespace(buf[valueEnd - 1]) { valueEnd -= 1 }
            guard HTTPSyntax.areFieldValueBytes(buf, valueStart..<valueEnd) else {
                throw .badRequest("invalid character in field value")
            }
            fields.append(
                (
                    HTTPSyntax.string(buf, line.lowerBound..<colon),
                    HTTPSyntax.string(buf, valueStart..<valueEnd)
                ))
        }
        return HTTPHeaders(fields)
    }
}

/// Iterates the lines of a field section; each range excludes the CRLF (or bare LF).
struct LineCursor {
    let buf: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    mutating func next() -> Range<Int>? {
        guard position < end else { return nil }
        let i = HTTPParser.indexOfLineFeed(buf, from: position, to: end) ?? end
        let lineEnd = (i > position && buf[i - 1] == HTTPParser.cr) ? i - 1 : i
        defer { position = i + 1 }
        return position..<lineEnd
    }
}

extension HTTPParser {
    /// The index of the first LF in `buf[from..<to]`, found with `memchr` (vectorized), or nil.
    @inline(__always)
    static func indexOfLineFeed(_ buf: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let base = buf.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(lf), to - from) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }
}
