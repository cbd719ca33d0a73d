import Testing

@testable import WireProtocol

/// The word-at-a-time and `memchr` paths of the parser and header lookups (issue 15) must decide
/// exactly as the plain byte-by-byte definitions do, at every position and alignment.
@Suite struct HTTPSyntaxFastPathTests {
    @Test func fieldValueCheckMatchesTheByteDefinitionForEveryByteAtEveryPosition() {
        for length in [1, 7, 8, 9, 15, 16, 17, 31, 33] {
            for position in 0..<length {
                for byte in 0...255 {
                    var value = [UInt8](repeating: UInt8(ascii: "a"), count: length + 3)
                    value[position + 1] = UInt8(byte)
                    let range = 1..<(length + 1)
                    let expected = range.allSatisfy { HTTPSyntax.isFieldValueByte(value[$0]) }
                    let fast = value.withUnsafeBufferPointer { HTTPSyntax.areFieldValueBytes($0, range) }
                    #expect(fast == expected, "byte \(byte) at \(position) of \(length)")
                }
            }
        }
    }

    /// The masks of `isToken` against RFC 9110 §5.6.2's tchar, written out here as the grammar
    /// lists it.
    @Test func tokenMasksMatchTheGrammarForEveryByte() {
        let symbols = Set("!#$%&'*+-.^_`|~".utf8)
        for byte in UInt8.min...UInt8.max {
            let isAlpha = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            let expected = isAlpha || isDigit || symbols.contains(byte)
            #expect(HTTPSyntax.isToken(byte) == expected, "byte \(byte)")
        }
    }

    @Test func bytesOutsideTheRangeAreNotChecked() {
        let value: [UInt8] = [0, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x7F]
        #expect(value.withUnsafeBufferPointer { HTTPSyntax.areFieldValueBytes($0, 1..<9) })
        #expect(value.withUnsafeBufferPointer { HTTPSyntax.areFieldValueBytes($0, 5..<5) })
        #expect(!value.withUnsafeBufferPointer { HTTPSyntax.areFieldValueBytes($0, 0..<9) })
        #expect(!value.withUnsafeBufferPointer { HTTPSyntax.areFieldValueBytes($0, 1..<10) })
    }

    @Test func caseInsensitiveComparisonOfNativeAndBridgedStrings() {
        #expect("Content-Length".equalsIgnoringASCIICase("content-length"))
        #expect("X-REQUEST-ID".equalsIgnoringASCIICase("x-request-id"))
        #expect(!"X-Request-IE".equalsIgnoringASCIICase("x-request-id"))
        #expect(!"Host".equalsIgnoringASCIICase("Hos"))
        // Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
        #expect(!"@".equalsIgnoringASCIICase("`"))
        #expect(!"[".equalsIgnoringASCIICase("{"))
        let substring = "xxAuthorization"[...].dropFirst(2)
        #expect(String(substring).equalsIgnoringASCIICase("AUTHORIZATION"))
    }

    @Test func requestPathAndQuerySplitAtTheFirstQuestionMark() {
        let request = HTTPRequest(method: "GET", target: "/a/b?x=1?y")
        #expect(request.path == "/a/b")
        #expect(request.query == "x=1?y")
        let bare = HTTPRequest(method: "GET", target: "/plain")
        #expect(bare.path == "/plain")
        #expect(bare.query == nil)
        let empty = HTTPRequest(method: "GET", target: "/q?")
        #expect(empty.path == "/q")
        #expect(empty.query == "")
    }

    @Test func headsWithLongValuesParseWholeAndSplitAnywhere() {
        let token = String(repeating: "abcdefghij", count: 100)
        let text = "GET /x HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer \(token)\r\nX-Tab: a\tb\r\n\r\n"
        let out = ParserVerifier.outcomes(text)
        #expect(
            out.first
                == .head(
                    .make(
                        target: "/x",
                        headers: [("Host", "h"), ("Authorization", "Bearer \(token)"), ("X-Tab", "a\tb")])))
        let bad = ParserVerifier.outcomes(
            "GET /x HTTP/1.1\r\nAuthorization: Bearer \(token.prefix(500))\u{7F}\(token.prefix(20))\r\n\r\n")
        #expect(bad == [.error(.badRequest("invalid character in field value"))])
    }
}
