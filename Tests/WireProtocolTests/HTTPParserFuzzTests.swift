import Testing

@testable import WireProtocol

/// Mutated requests must never crash the parser, and must parse the same under any chunking.
@Suite struct HTTPParserFuzzTests {
    static let seeds: [String] = [
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
        "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\nT: v\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHost: y\r\n\r\n",
    ]
    static let alphabet = Array("\r\n :;,0123456789aAfFzZ-\t\u{0}\u{7F}HTTP/1.".utf8)

    static let responseSeeds: [String] = [
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\nuntil the end",
    ]

    @Test(arguments: [HTTPParser.Mode.request, .response])
    func mutatedMessagesNeverCrashAndIgnoreChunking(_ mode: HTTPParser.Mode) {
        let seeds = mode == .request ? Self.seeds : Self.responseSeeds
        var random = SeededRandom(seed: 20_251_129)
        let limits = HTTPParser.Limits(
            maxRequestLineLength: 48, maxHeadLength: 160, maxHeaderCount: 6, defaultBodyLimit: 64)
        for _ in 0..<3000 {
            var bytes = Array(seeds[random.below(seeds.count)].utf8)
            for _ in 0...random.below(4) {
                let position = random.below(bytes.count + 1)
                switch random.below(4) {
                case 0 where position < bytes.count: bytes.remove(at: position)
                case 1: bytes.insert(Self.alphabet[random.below(Self.alphabet.count)], at: position)
                case 2 where position < bytes.count:
                    bytes[position] = UInt8(truncatingIfNeeded: random.next())
                default: bytes.insert(contentsOf: bytes[position...].prefix(random.below(40)), at: position)
                }
            }
            let run = { (chunks: [ArraySlice<UInt8>]) in
                ParserVerifier.parse(
                    chunks, mode: mode, limits: limits, bodyLimit: nil, headResponse: false, atEOF: true)
            }
            let whole = run([bytes[...]])
            let cut = random.below(bytes.count + 1)
            let cut2 = cut + random.below(bytes.count - cut + 1)
            #expect(run([bytes[..<cut], bytes[cut..<cut2], bytes[cut2...]]) == whole, "\(bytes)")
            #expect(run(bytes.indices.map { bytes[$0...$0] }) == whole, "\(bytes)")
        }
    }
}
