import Testing

@testable import WireProtocol

@Suite struct HTTPResponseWriterTests {
    static func text(_ response: HTTPResponse, request: HTTPMessageHead = .make(), keepAlive: Bool = true)
        -> String
    {
        let (head, body) = HTTPResponseWriter().serialize(response, to: request, keepAlive: keepAlive)
        return String(decoding: head + (body ?? []), as: UTF8.self)
    }

    @Test func statusLineFieldsLengthAndBody() {
        let out = Self.text(
            HTTPResponse(status: 201, headers: HTTPHeaders([("Location", "/x")]), body: Array("{}".utf8)))
        #expect(out.hasPrefix("HTTP/1.1 201 Created\r\nLocation: /x\r\nDate: "))
        #expect(out.hasSuffix(" GMT\r\nContent-Length: 2\r\n\r\n{}"))
    }

    @Test func writerOwnsFramingFieldsAndConnection() {
        let response = HTTPResponse(
            status: 200, headers: HTTPHeaders([("Content-Length", "99"), ("Transfer-Encoding", "chunked")]),
            body: Array("abc".utf8))
        let out = Self.text(response, keepAlive: false)
        #expect(!out.contains("99"))
        #expect(!out.contains("chunked"))
        #expect(out.contains("Content-Length: 3\r\n"))
        #expect(out.contains("Connection: close\r\n"))
        let old = Self.text(response, request: .make(versionMinor: 0))
        #expect(old.contains("Connection: keep-alive\r\n"))
    }

    @Test func noBodyForHeadAnd204AndNoLengthFor204() {
        let head = Self.text(
            HTTPResponse(status: 200, body: Array("abc".utf8)), request: .make(method: "HEAD"))
        #expect(head.hasSuffix("Content-Length: 3\r\n\r\n"))
        let noContent = Self.text(HTTPResponse(status: 204, body: Array("abc".utf8)))
        #expect(!noContent.contains("Content-Length"))
        #expect(noContent.hasSuffix("\r\n\r\n"))
    }

    @Test func switchingProtocolsKeepsTheHandshakeFields() {
        let out = Self.text(
            HTTPResponse(
                status: 101, headers: HTTPHeaders([("Connection", "Upgrade"), ("Upgrade", "websocket")])))
        #expect(
            out == "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
    }

    @Test(arguments: [
        0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 65_536, 1_000_000, Int(Int32.max), Int.max, -1, -10,
        Int.min,
    ])
    func numbersAreWrittenInDecimal(_ value: Int) {
        var out: [UInt8] = []
        out.appendDecimal(value)
        #expect(String(decoding: out, as: UTF8.self) == String(value))
    }

    @Test(arguments: ["", "a", "Host", "é€😀 mixed", String(repeating: "x", count: 300), "line\r\nbreak"])
    func textIsAppendedAsItsUTF8Bytes(_ text: String) {
        var out: [UInt8] = [1]
        out.append(utf8: text)
        out.append(utf8: text.dropFirst())
        out.append(literal: "é;")
        #expect(out == [1] + Array(text.utf8) + Array(text.dropFirst().utf8) + Array("é;".utf8))
    }

    @Test func fieldValuesCannotInjectLines() {
        let out = Self.text(HTTPResponse(status: 200, headers: HTTPHeaders([("X-A", "a\r\nSet-Cookie: b")])))
        #expect(out.contains("X-A: a  Set-Cookie: b\r\n"))
        // A lone CR or LF, at either end too; an empty value stays empty.
        let lone = Self.text(
            HTTPResponse(
                status: 200,
                headers: HTTPHeaders([("X-B", "a\nb"), ("X-C", "\rc\r"), ("X-D", ""), ("X-E", "plain")])))
        #expect(lone.contains("X-B: a b\r\nX-C:  c \r\nX-D: \r\nX-E: plain\r\n"))
    }

    @Test func largeBodiesAreASecondBuffer() {
        let body = [UInt8](repeating: 7, count: 100_000)
        let (head, rest) = HTTPResponseWriter(compression: .init(enabled: false)).serialize(
            HTTPResponse(status: 200, body: body), to: .make(), keepAlive: true)
        #expect(rest == body)
        #expect(String(decoding: head, as: UTF8.self).hasSuffix("Content-Length: 100000\r\n\r\n"))
    }

    @Test(arguments: [
        ("gzip", true), ("GZIP;q=0.5", true), ("gzip;q=0", false), ("*", true), ("*;q=0", false),
        ("br, *;q=0.1", true), ("identity", false), ("", false), ("*, gzip;q=0", false),
    ])
    func acceptEncoding(_ header: String, _ accepted: Bool) {
        #expect(HTTPResponseWriter.acceptsGzip([header]) == accepted)
    }

    /// `Vary` names `Accept-Encoding` once on every response that could have been gzipped, joined
    /// to the handler's own `Vary` when there is one; `Content-Encoding` only when it was.
    @Test func varyAndContentEncodingFields() {
        let writer = HTTPResponseWriter()
        let body = Array(String(repeating: "{\"a\":1},", count: 300).utf8)
        func head(_ fields: [(String, String)], acceptEncoding: String?) -> [String] {
            var request = HTTPMessageHead.make()
            if let acceptEncoding { request.headers.add("Accept-Encoding", acceptEncoding) }
            let response = HTTPResponse(status: 200, headers: HTTPHeaders(fields), body: body)
            let (bytes, _) = writer.serialize(response, to: request, keepAlive: true)
            // "\r\n" is one Character: the head is the lines before the first empty one.
            let lines = String(decoding: bytes, as: UTF8.self).split(
                separator: "\r\n", omittingEmptySubsequences: false)
            return lines.prefix { !$0.isEmpty }.map(String.init)
        }
        let json = ("Content-Type", "application/json")
        let plain = head([json], acceptEncoding: nil)
        #expect(plain.filter { $0.hasPrefix("Vary:") } == ["Vary: Accept-Encoding"])
        #expect(!plain.contains { $0.hasPrefix("Content-Encoding:") })
        let gzipped = head([json], acceptEncoding: "gzip")
        #expect(gzipped.filter { $0.hasPrefix("Vary:") } == ["Vary: Accept-Encoding"])
        #expect(gzipped.filter { $0.hasPrefix("Content-Encoding:") } == ["Content-Encoding: gzip"])
        let joined = head([json, ("Vary", "Origin")], acceptEncoding: "gzip")
        #expect(joined.filter { $0.hasPrefix("Vary:") } == ["Vary: Origin, Accept-Encoding"])
        let already = head([json, ("Vary", "accept-encoding")], acceptEncoding: nil)
        #expect(already.filter { $0.hasPrefix("Vary:") } == ["Vary: accept-encoding"])
        let image = head([("Content-Type", "image/png")], acceptEncoding: "gzip")
        #expect(!image.contains { $0.hasPrefix("Vary:") || $0.hasPrefix("Content-Encoding:") })
    }

    @Test func compressibleTypes() {
        #expect(HTTPResponseWriter.isCompressible("application/json; charset=utf-8"))
        #expect(HTTPResponseWriter.isCompressible("application/problem+json"))
        #expect(HTTPResponseWriter.isCompressible("text/html"))
        #expect(!HTTPResponseWriter.isCompressible("image/png"))
        #expect(!HTTPResponseWriter.isCompressible(nil))
    }

    /// The byte-level check agrees with the plain definition (lowercase, cut at `;`, trim, then
    /// compare as strings) on generated content types: case, whitespace, parameters, near misses.
    @Test func compressibleTypesMatchTheDefinition() {
        func reference(_ value: String) -> Bool {
            let type = value.lowercased()
            var media = type.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            while let c = media.first, c == " " || c == "\t" { media.removeFirst() }
            while let c = media.last, c == " " || c == "\t" { media.removeLast() }
            return media.hasPrefix("text/") || media == "application/json" || media.hasSuffix("+json")
                || media == "application/javascript" || media == "application/xml" || media.hasSuffix("+xml")
        }
        let pieces = [
            "text/", "Text/Plain", "application/json", "APPLICATION/JSON", "application/jsonx",
            "application/js", "application/javascript", "application/xml", "application/problem+json",
            "image/svg+XML", "+json", "+xml", "json", "image/png", "", " ", "\t", ";", "; charset=utf-8",
            ";q=1", "x", "+", "/",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            var value = ""
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                value += pieces.randomElement(using: &generator)!
            }
            #expect(HTTPResponseWriter.isCompressible(value) == reference(value), "\(value.debugDescription)")
        }
    }

    @Test func dateIsIMFFixdate() {
        #expect(
            String(decoding: HTTPDate.format(784_111_777), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.current().count == 29)
    }

    @Test func gzipRoundTripAndCorruptInput() {
        let input = Array(String(repeating: "threat model ", count: 500).utf8)
        let compressed = Gzip.compress(input)
        #expect(compressed.map { $0.count < input.count / 10 } == true)
        #expect(compressed?.prefix(2) == [0x1F, 0x8B])
        #expect(compressed.flatMap { Gzip.decompress($0) } == input)
        #expect(Gzip.decompress(Array("not gzip".utf8)) == nil)
        #expect(compressed.flatMap { Gzip.decompress($0, limit: 100) } == nil)
    }
}
