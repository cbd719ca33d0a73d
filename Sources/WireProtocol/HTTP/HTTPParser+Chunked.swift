extension HTTPParser {
    /// Longest chunk-size line accepted, extensions included (they are ignored).
    static let maxChunkLineLength = 4096

    /// Parses the chunked coding (RFC 9112 §7.1): size lines, data, the last chunk, and the
    /// trailer section (§7.1.2), which is bounded like a head.
    mutating func parseChunked() throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .chunkSize:
                guard let size = try parseChunkSizeLine() else { return nil }
                if size == 0 {
                    state = .trailers
                    scan = SectionScan(position: index, lineStart: index, firstLineEnd: nil)
                } else {
                    if size > bodyLimit - body.count { throw fail(.bodyTooLarge) }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - index)
                if take > 0 {
                    body.append(contentsOf: buffer[index..<(index + take)])
                    index += take
                }
                if remaining - take > 0 {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard index < buffer.count else { return nil }
                if buffer[index] == Self.lf {
                    index += 1
                } else if buffer[index] == Self.cr {
                    guard index + 1 < buffer.count else { return nil }
                    guard buffer[index + 1] == Self.lf else {
                        throw fail(.badRequest("chunk not followed by CRLF"))
                    }
                    index += 2
                } else {
                    throw fail(.badRequest("chunk not followed by CRLF"))
                }
                state = .chunkSize
            case .trailers:
                guard let end = scanSection() else {
                    if buffer.count - index > limits.maxHeadLength { throw fail(.headTooLarge) }
                    return nil
                }
                if end - index > limits.maxHeadLength { throw fail(.headTooLarge) }
                let start = index
                let maxCount = limits.maxHeaderCount
                let trailers: HTTPHeaders
                do {
                    trailers = try buffer.withUnsafeBufferPointer { buf throws(HTTPParseError) in
                        var lines = LineCursor(buf: buf, position: start, end: end)
                        return try Self.parseFields(&lines, maxCount: maxCount)
                    }
                } catch {
                    throw fail(error)
                }
                index = end
                return completeMessage(trailers: trailers)
            default:
                return nil
            }
        }
    }

    /// chunk-size [ chunk-ext ] CRLF; returns nil until the line is complete.
    private mutating func parseChunkSizeLine() throws(HTTPParseError) -> Int? {
        var lf = index
        while lf < buffer.count, buffer[lf] != Self.lf { lf += 1 }
        guard lf < buffer.count else {
            if buffer.count - index > Self.maxChunkLineLength {
                throw fail(.badRequest("chunk size line too long"))
            }
            return nil
        }
        if lf - index > Self.maxChunkLineLength { throw fail(.badRequest("chunk size line too long")) }
        let lineEnd = lf > index && buffer[lf - 1] == Self.cr ? lf - 1 : lf
        var size = 0
        var i = index
        while i < lineEnd, let digit = hexDigitValue(buffer[i]).map(Int.init) {
            guard i - index < 15 else { throw fail(.badRequest("chunk size too large")) }
            size = size << 4 | digit
            i += 1
        }
        guard i > index else { throw fail(.badRequest("invalid chunk size")) }
        // Anything after the size must be extensions (BWS ";" ...), which are ignored.
        var rest = i
        while rest < lineEnd, HTTPSyntax.isWhitespace(buffer[rest]) { rest += 1 }
        if rest < lineEnd && buffer[rest] != UInt8(ascii: ";") {
            throw fail(.badRequest("invalid chunk size"))
        }
        for j in rest..<lineEnd where !HTTPSyntax.isFieldValueByte(buffer[j]) {
            throw fail(.badRequest("invalid chunk extension"))
        }
        index = lf + 1
        return size
    }
}
