import Testing

@testable import WireProtocol

/// Each limit and framing error of RFC 9112 with its status, under every chunking of the input.
@Suite struct HTTPParserLimitTests {
    static let small = HTTPParser.Limits(
        maxRequestLineLength: 40, maxHeadLength: 200, maxHeaderCount: 4, defaultBodyLimit: 16)

    static func error(_ text: String, bodyLimit: Int? = nil) -> HTTPParseError? {
        let out = ParserVerifier.outcomes(text, limits: small, bodyLimit: bodyLimit)
        guard case .error(let e) = out.last else { return nil }
        return e
    }

    @Test func requestLineAtTheLimitIsAcceptedOneMoreIs414() {
        let atLimit = "GET /" + String(repeating: "a", count: 40 - 14) + " HTTP/1.1"
        #expect(atLimit.utf8.count == 40)
        #expect(Self.error(atLimit + "\r\nHost: x\r\n\r\n") == nil)
        let over = "GET /" + String(repeating: "a", count: 41 - 14) + " HTTP/1.1"
        #expect(Self.error(over + "\r\nHost: x\r\n\r\n")?.status == 414)
        // Unterminated: detected as soon as the line can no longer fit.
        #expect(Self.error("GET /" + String(repeating: "a", count: 100)) == .requestLineTooLong)
    }

    /// Found by the `http` fuzz target (docs/fuzzing.md): a request line over the limit whose
    /// CRLF had arrived, in a head not yet complete, was 414 when the bytes trickled in but
    /// "need more" when they came in one read; the line is now judged as soon as it ends.
    @Test func overlongRequestLineIs414AsSoonAsItEndsWhateverTheChunking() {
        let over = "GET /" + String(repeating: "a", count: 41 - 14) + " HTTP/1.1\r\nHost: x\r\n"
        #expect(Self.error(over) == .requestLineTooLong)
        #expect(Self.error(over + "X-A: 1\r\n") == .requestLineTooLong)
    }

    @Test func headOverTheLimitIs431() {
        let big = "GET / HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "v", count: 200) + "\r\n\r\n"
        #expect(Self.error(big) == .headTooLarge)
        #expect(Self.error(big).map(\.status) == 431)
        #expect(
            Self.error("GET / HTTP/1.1\r\nHost: x\r\nX-A: " + String(repeating: "v", count: 300))
                == .headTooLarge)
    }

    @Test func tooManyFieldsIs431() {
        let four = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(Self.error(four) == nil)
        let five = "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
        #expect(Self.error(five) == .tooManyFields)
        #expect(Self.error(five)?.status == 431)
    }

    @Test func bodyOverTheRouteLimitIs413BeforeItArrives() {
        // Only the head is sent: the 413 needs none of the body.
        #expect(
            Self.error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", bodyLimit: 10)
                == .bodyTooLarge)
        #expect(
            Self.error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", bodyLimit: 10)
                == nil)
        // The default limit applies when the server does not set one.
        #expect(Self.error("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n") == .bodyTooLarge)
    }

    @Test func chunkedBodyOverTheLimitIs413() {
        let head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(Self.error(head + "8\r\n01234567\r\n3\r\nabc", bodyLimit: 10) == .bodyTooLarge)
        #expect(Self.error(head + "8\r\n01234567\r\n2\r\nab\r\n0\r\n\r\n", bodyLimit: 10) == nil)
    }

    @Test(arguments: [
        (
            "both framings",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        (
            "TE not ending in chunked",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
        ),
        ("TE identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n"),
        (
            "chunked twice",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
        ),
        ("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
        (
            "duplicate Content-Length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"
        ),
        ("Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"),
        ("negative Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
        ("empty Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"),
        (
            "huge Content-Length",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999999999999999999\r\n\r\n"
        ),
        ("missing Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        ("space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n"),
        ("obsolete folding", "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\n\r\n"),
        ("no colon", "GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n"),
        ("control byte in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{01}b\r\n\r\n"),
        ("bare CR in value", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n"),
        ("garbage request line", "HELLO\r\nHost: x\r\n\r\n"),
        ("bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad version", "GET / HTTX/1.1\r\nHost: x\r\n\r\n"),
        // Each byte of "HTTP/" is compared on its own: one wrong at every position, and the name
        // in lower case (it is case-sensitive, RFC 9112 §2.3).
        ("bad version 0", "GET / XTTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad version 1", "GET / HXTP/1.1\r\nHost: x\r\n\r\n"),
        ("bad version 2", "GET / HTXP/1.1\r\nHost: x\r\n\r\n"),
        ("bad version 4", "GET / HTTP-1.1\r\nHost: x\r\n\r\n"),
        ("lower-case version", "GET / http/1.1\r\nHost: x\r\n\r\n"),
        ("version without minor", "GET / HTTP/1.\r\nHost: x\r\n\r\n"),
        ("invalid chunk size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        ("chunk without CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX"),
        (
            "giant chunk size",
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n"
        ),
    ])
    func framingErrorsAre400(_ name: String, _ text: String) {
        #expect(Self.error(text, bodyLimit: 1 << 40)?.status == 400, "\(name)")
    }

    @Test func otherTransferCodingsAre501AndOtherVersions505() {
        #expect(
            Self.error("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")?.status
                == 501)
        #expect(Self.error("GET / HTTP/2.0\r\nHost: x\r\n\r\n")?.status == 505)
    }

    @Test func anErrorIsFinal() {
        var parser = HTTPParser(mode: .request)
        parser.feed(Array("GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.badRequest("missing Host header")) { try parser.next() }
        #expect(throws: HTTPParseError.badRequest("missing Host header")) { try parser.next() }
    }

    @Test func errorBodyIsTheSpecsJSON() {
        let body = HTTPErrorBody.json(error: "invalid_request", description: "Bad \"quote\"\n")
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"error":"invalid_request","error_description":"Bad \"quote\"\u000a"}"#)
    }
}
