import Testing

@testable import WireProtocol

@Suite struct HTTPParserTests {
    @Test func simpleGet() {
        let out = ParserVerifier.outcomes("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        #expect(
            out == [
                .head(.make(target: "/a?b=1", headers: [("Host", "x"), ("Accept", "*/*")])),
                .complete(body: "", trailers: HTTPHeaders()),
            ])
    }

    @Test func fieldValuesAreTrimmedAndNamesKeepTheirCase() {
        let out = ParserVerifier.outcomes("GET / HTTP/1.1\r\nhOsT:   x \t\r\nX-Empty:\r\n\r\n")
        #expect(out.first == .head(.make(headers: [("hOsT", "x"), ("X-Empty", "")])))
    }

    @Test func pipelinedRequestsComeOutInOrder() {
        let out = ParserVerifier.outcomes(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "PUT /3 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "DELETE /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(
            out == [
                .head(.make(target: "/1")), .complete(body: "", trailers: HTTPHeaders()),
                .head(
                    .make(
                        method: "POST", target: "/2", headers: [("Host", "x"), ("Content-Length", "5")],
                        framing: .length(5))),
                .complete(body: "hello", trailers: HTTPHeaders()),
                .head(
                    .make(
                        method: "PUT", target: "/3",
                        headers: [("Host", "x"), ("Transfer-Encoding", "chunked")], framing: .chunked)),
                .complete(body: "abc", trailers: HTTPHeaders()),
                .head(
                    .make(
                        method: "DELETE", target: "/4", headers: [("Host", "x"), ("Connection", "close")],
                        keepAlive: false)),
                .complete(body: "", trailers: HTTPHeaders()),
            ])
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let out = ParserVerifier.outcomes(
            "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6\r\n world\r\nA \r\n0123456789\r\n0\r\nChecksum: abc\r\nX-T: 1\r\n\r\n"
        )
        #expect(out.count == 2)
        #expect(
            out.last
                == .complete(
                    body: "hello world0123456789", trailers: HTTPHeaders([("Checksum", "abc"), ("X-T", "1")]))
        )
    }

    @Test func leadingEmptyLinesAndBareLineFeedsAreTolerated() {
        let out = ParserVerifier.outcomes("\r\n\nGET / HTTP/1.1\nHost: x\n\n")
        #expect(out == [.head(.make()), .complete(body: "", trailers: HTTPHeaders())])
    }

    @Test(arguments: [
        ("http://example.test/a/b?c=1", "/a/b?c=1"), ("HTTPS://example.test", "/"),
        ("http://example.test?q", "/?q"), ("/plain", "/plain"), ("*", "*"), ("urn:x://y", "urn:x://y"),
    ])
    func absoluteFormBecomesOriginForm(_ target: String, _ expected: String) {
        let out = ParserVerifier.outcomes("OPTIONS \(target) HTTP/1.1\r\nHost: x\r\n\r\n")
        guard case .head(let head) = out.first else {
            Issue.record("no head")
            return
        }
        #expect(head.target == expected)
    }

    @Test func keepAliveFollowsVersionAndConnection() {
        let http10 = ParserVerifier.outcomes("GET / HTTP/1.0\r\n\r\n")
        #expect(http10.first == .head(.make(versionMinor: 0, headers: [], keepAlive: false)))
        let http10KeepAlive = ParserVerifier.outcomes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(
            http10KeepAlive.first == .head(.make(versionMinor: 0, headers: [("Connection", "Keep-Alive")])))
        let close = ParserVerifier.outcomes("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, Close\r\n\r\n")
        #expect(
            close.first
                == .head(.make(headers: [("Host", "x"), ("Connection", "foo, Close")], keepAlive: false)))
    }

    @Test func expectContinue() {
        let out = ParserVerifier.outcomes(
            "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(
            out.first
                == .head(
                    .make(
                        method: "POST",
                        headers: [("Host", "x"), ("Expect", "100-Continue"), ("Content-Length", "2")],
                        expectsContinue: true, framing: .length(2))))
        #expect(out.last == .complete(body: "ok", trailers: HTTPHeaders()))
        let other = ParserVerifier.outcomes("GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n")
        #expect(other == [.error(.unsupportedExpectation)])
    }

    @Test func incompleteInputYieldsNothingYet() {
        #expect(ParserVerifier.outcomes("GET / HTTP/1.1\r\nHost: x\r\n").isEmpty)
        let partialBody = ParserVerifier.outcomes(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(partialBody.count == 1)
    }

    @Test func finishReportsATruncatedMessage() {
        var parser = HTTPParser(mode: .request)
        parser.feed(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(throws: HTTPParseError.self) {
            while try parser.next() != nil {}
            _ = try parser.finish()
        }
        var idle = HTTPParser(mode: .request)
        #expect((try? idle.finish()) == .some(nil))
    }

    @Test func upgradeKeepsTheBytesAfterTheHead() throws {
        var parser = HTTPParser(mode: .request)
        parser.feed(Array("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}".utf8))
        guard case .head = try parser.next() else { Issue.record("no head"); return }
        guard case .complete = try parser.next() else { Issue.record("no completion"); return }
        #expect(parser.takeBufferedBytes() == Array("\u{81}\u{05}".utf8))
        #expect(!parser.hasBufferedBytes)
    }
}
