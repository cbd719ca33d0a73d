extension HTTPParser {
    /// Decides how the body is delimited and whether the connection persists (RFC 9112 §6.3, §9.3).
    func decideFraming(_ head: inout HTTPMessageHead) throws(HTTPParseError) {
        let headers = head.headers
        let connection = HTTPSyntax.listElements(headers.values("connection"))
        if head.versionMinor == 0 {
            head.keepAlive = connection.contains("keep-alive") && !connection.contains("close")
        } else {
            head.keepAlive = !connection.contains("close")
        }
        let transferEncoding = headers.values("transfer-encoding")
        let contentLength = headers.values("content-length")
        switch mode {
        case .request:
            // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without exactly one Host.
            if head.versionMinor >= 1 {
                let hosts = headers.count(of: "host")
                if hosts == 0 { throw .badRequest("missing Host header") }
                if hosts > 1 { throw .badRequest("more than one Host header") }
            }
            head.framing = try requestFraming(head, transferEncoding, contentLength)
            head.expectsContinue = try expectsContinue(head)
        case .response:
            head.framing = try responseFraming(head, transferEncoding, contentLength)
            if head.framing == .untilClose { head.keepAlive = false }
        }
    }

    private func requestFraming(
        _ head: HTTPMessageHead, _ transferEncoding: [String], _ contentLength: [String]
    ) throws(HTTPParseError) -> BodyFraming {
        if !transferEncoding.isEmpty {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means the framing is faulty.
            if head.versionMinor == 0 { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            // RFC 9112 §6.3 (3): both present is a smuggling vector; reject and close.
            if !contentLength.isEmpty { throw .badRequest("both Transfer-Encoding and Content-Length") }
            return try chunkedFraming(transferEncoding)
        }
        return try lengthFraming(contentLength) ?? .none
    }

    private func responseFraming(
        _ head: HTTPMessageHead, _ transferEncoding: [String], _ contentLength: [String]
    ) throws(HTTPParseError) -> BodyFraming {
        // RFC 9112 §6.3 (1): no body after HEAD, or with 1xx, 204 or 304.
        if nextResponseIsToHEAD || head.status < 200 || head.status == 204 || head.status == 304 {
            return .none
        }
        if !transferEncoding.isEmpty {
            let codings = HTTPSyntax.listElements(transferEncoding)
            return codings.last == "chunked" && codings.count == 1 ? .chunked : .untilClose
        }
        return try lengthFraming(contentLength) ?? .untilClose
    }

    /// RFC 9112 §6.3 (4): a request Transfer-Encoding whose final coding is not chunked is a 400;
    /// chunked applied twice is invalid (§7.1); other codings are not implemented (501, §6.1).
    private func chunkedFraming(_ values: [String]) throws(HTTPParseError) -> BodyFraming {
        let codings = HTTPSyntax.listElements(values)
        guard codings.last == "chunked" else {
            throw .badRequest("Transfer-Encoding does not end in chunked")
        }
        guard codings.filter({ $0 == "chunked" }).count == 1 else {
            throw .badRequest("chunked applied twice")
        }
        guard codings.count == 1 else { throw .unsupportedTransferCoding }
        return .chunked
    }

    /// RFC 9112 §6.3 (5): several or invalid Content-Length values are unrecoverable (400).
    private func lengthFraming(_ values: [String]) throws(HTTPParseError) -> BodyFraming? {
        guard let value = values.first else { return nil }
        guard values.count == 1 else { throw .badRequest("more than one Content-Length") }
        let digits = value.utf8
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy(HTTPSyntax.isDigit) else {
            throw .badRequest("invalid Content-Length")
        }
        let length = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        return length == 0 ? BodyFraming.none : .length(length)
    }

    /// RFC 9110 §10.1.1: `100-continue` is the only expectation; HTTP/1.0 expectations are ignored.
    private func expectsContinue(_ head: HTTPMessageHead) throws(HTTPParseError) -> Bool {
        guard head.versionMinor >= 1, let expect = head.headers["expect"] else { return false }
        guard expect.equalsIgnoringASCIICase("100-continue") else { throw .unsupportedExpectation }
        return head.framing != .none
    }
}
