import Testing

@testable import WireProtocol

@Suite struct PerMessageDeflateTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var offer: String
        var response: String?
        var deflateBits = 12
        var inflateBits = 15
        var testDescription: String { offer }
    }

    /// RFC 7692 §7.1 negotiation with the default configuration (compress with ≤ 2^12, ask the
    /// client for 2^12 when it lets us choose).
    static let table: [Row] = [
        Row(offer: "permessage-deflate", response: "permessage-deflate"),
        Row(
            offer: "permessage-deflate; client_max_window_bits",
            response: "permessage-deflate; client_max_window_bits=12", inflateBits: 12),
        Row(
            offer: "permessage-deflate; client_max_window_bits=10",
            response: "permessage-deflate; client_max_window_bits=10", inflateBits: 10),
        Row(
            offer: "permessage-deflate; server_max_window_bits=10",
            response: "permessage-deflate; server_max_window_bits=10", deflateBits: 10),
        Row(
            offer: "permessage-deflate; server_max_window_bits=15",
            response: "permessage-deflate; server_max_window_bits=12"),
        Row(
            offer: "permessage-deflate; server_max_window_bits=8",
            response: "permessage-deflate; server_max_window_bits=8", deflateBits: 8),
        Row(
            offer: "permessage-deflate; server_no_context_takeover",
            response: "permessage-deflate; server_no_context_takeover"),
        Row(
            offer: "permessage-deflate; client_no_context_takeover",
            response: "permessage-deflate; client_no_context_takeover"),
        Row(
            offer: "permessage-deflate; client_max_window_bits=\"9\"",
            response: "permessage-deflate; client_max_window_bits=9", inflateBits: 9),
        // Declined offers: unknown or repeated parameters, values out of range or misplaced.
        Row(offer: "permessage-deflate; foo", response: nil),
        Row(offer: "permessage-deflate; server_max_window_bits", response: nil),
        Row(offer: "permessage-deflate; server_max_window_bits=16", response: nil),
        Row(offer: "permessage-deflate; server_max_window_bits=7", response: nil),
        Row(offer: "permessage-deflate; server_max_window_bits=010", response: nil),
        Row(offer: "permessage-deflate; server_no_context_takeover=1", response: nil),
        Row(
            offer: "permessage-deflate; client_no_context_takeover; client_no_context_takeover", response: nil
        ),
        // The first acceptable offer wins.
        Row(
            offer: "permessage-deflate; bogus, permessage-deflate; server_no_context_takeover",
            response: "permessage-deflate; server_no_context_takeover"),
        Row(offer: "x-other, permessage-deflate", response: "permessage-deflate"),
    ]

    @Test(arguments: table)
    func negotiation(_ row: Row) {
        let offers = WebSocketExtensionOffer.parse([row.offer])
        let result = PerMessageDeflateNegotiation.accept(
            offers: offers, configuration: PerMessageDeflateConfiguration())
        #expect(result?.response.headerValue == row.response)
        if let result {
            #expect(result.runtime.deflate.maxWindowBits == row.deflateBits)
            #expect(result.runtime.inflate.maxWindowBits == row.inflateBits)
            #expect(
                result.runtime.deflate.noContextTakeover == row.offer.contains("server_no_context_takeover"))
            #expect(
                result.runtime.inflate.noContextTakeover == row.offer.contains("client_no_context_takeover"))
        }
    }

    @Test func clientValidatesResponse() throws {
        let c = PerMessageDeflateConfiguration()
        #expect(
            PerMessageDeflateNegotiation.clientOffer(c)
                == "permessage-deflate; server_max_window_bits=12; client_max_window_bits")
        let runtime = try PerMessageDeflateNegotiation.clientAccept(
            responseHeaders: ["permessage-deflate; server_max_window_bits=12; client_max_window_bits=10"],
            configuration: c)
        #expect(runtime?.deflate.maxWindowBits == 10)
        #expect(runtime?.inflate.maxWindowBits == 12)
        #expect(try PerMessageDeflateNegotiation.clientAccept(responseHeaders: [], configuration: c) == nil)
        #expect(throws: WebSocketError.self) {
            try PerMessageDeflateNegotiation.clientAccept(
                responseHeaders: ["permessage-deflate; nope"], configuration: c)
        }
        #expect(throws: WebSocketError.self) {
            try PerMessageDeflateNegotiation.clientAccept(responseHeaders: ["x-unknown"], configuration: c)
        }
    }

    /// Context takeover: the second identical message compresses to far fewer bytes, and the
    /// inflater (keeping its window) restores both; without takeover both cost the same.
    @Test(arguments: [false, true])
    func contextTakeover(_ noContextTakeover: Bool) throws {
        let text = Array("{\"message_type\":\"diagram_operation\",\"operation_id\":\"8a0c\"}".utf8)
        let deflater = try PerMessageDeflateCompressor(
            windowBits: 12, memLevel: 5, level: 6, noContextTakeover: noContextTakeover)
        let inflater = try PerMessageDeflateDecompressor(windowBits: 15, noContextTakeover: noContextTakeover)
        let first = try deflater.compress(text)
        let second = try deflater.compress(text)
        #expect(!first.suffix(4).elementsEqual([0, 0, 0xFF, 0xFF]))
        if noContextTakeover { #expect(second == first) } else { #expect(second.count < first.count / 2) }
        for payload in [first, second] {
            var out: [UInt8] = []
            try payload.withUnsafeBytes { b in
                try Result { () throws(WebSocketError) in try inflater.inflate(b, into: &out, limit: 1 << 20)
                }.get()
            }
            try inflater.finishMessage(into: &out, limit: 1 << 20)
            #expect(out == text)
        }
    }

    /// zlib cannot deflate raw data with a 256-byte window; 8 is raised to 9 (see the compressor).
    @Test func windowBitsEightStillCompresses() throws {
        let deflater = try PerMessageDeflateCompressor(
            windowBits: 8, memLevel: 8, level: 6, noContextTakeover: false)
        let inflater = try PerMessageDeflateDecompressor(windowBits: 8, noContextTakeover: false)
        let text = Array(String(repeating: "abcdefgh", count: 200).utf8)
        let compressed = try deflater.compress(text)
        var out: [UInt8] = []
        try compressed.withUnsafeBytes { b in
            try Result { () throws(WebSocketError) in try inflater.inflate(b, into: &out, limit: 1 << 20) }
                .get()
        }
        try inflater.finishMessage(into: &out, limit: 1 << 20)
        #expect(out == text)
    }
}
