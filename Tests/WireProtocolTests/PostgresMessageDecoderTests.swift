import TestSupport
import Testing

@testable import WireProtocol

/// Builds backend messages byte by byte, the way a server would send them.
enum BackendBytes {
    static func message(_ type: Character, _ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [type.asciiValue!]
        PostgresFrontend.appendInt32(Int32(body.count + 4), &out)
        return out + body
    }

    static func int32(_ v: Int32) -> [UInt8] {
        var out: [UInt8] = []
        PostgresFrontend.appendInt32(v, &out)
        return out
    }

    static func int16(_ v: Int16) -> [UInt8] {
        var out: [UInt8] = []
        PostgresFrontend.appendInt16(v, &out)
        return out
    }

    static func cString(_ s: String) -> [UInt8] { Array(s.utf8) + [0] }

    static func dataRow(_ values: [[UInt8]?]) -> [UInt8] {
        var body = int16(Int16(values.count))
        for v in values {
            if let v {
                body += int32(Int32(v.count)) + v
            } else {
                body += int32(-1)
            }
        }
        return message("D", body)
    }

    static func rowDescription(_ columns: [(String, UInt32)]) -> [UInt8] {
        var body = int16(Int16(columns.count))
        for (name, oid) in columns {
            body +=
                cString(name) + int32(0) + int16(0) + int32(Int32(bitPattern: oid)) + int16(-1) + int32(-1)
                + int16(0)
        }
        return message("T", body)
    }

    /// A typical session: startup (SASL), then one query's response.
    static var conversation: [UInt8] {
        message("R", int32(10) + cString("SCRAM-SHA-256") + [0])
            + message("R", int32(11) + Array("r=abc,s=c2FsdA==,i=4096".utf8))
            + message("R", int32(12) + Array("v=c2ln".utf8)) + message("R", int32(0))
            + message("S", cString("server_version") + cString("15.8"))
            + message("K", int32(4242) + int32(-7))
            + message("Z", [0x49]) + message("1", []) + message("2", [])
            + rowDescription([("id", 23), ("name", 25)])
            + dataRow([Array("1".utf8), Array("é✓".utf8)]) + dataRow([Array("2".utf8), nil])
            + message("N", [0x53] + cString("NOTICE") + [0x4D] + cString("hi") + [0])
            + message("C", cString("SELECT 2"))
            + message("E", [0x43] + cString("23505") + [0x6E] + cString("t_pkey") + [0])
            + message("I", []) + message("n", []) + message("s", []) + message("3", [])
            + message("t", int16(2) + int32(23) + int32(25))
            + message("A", int32(1) + cString("ch") + cString("payload"))
            + message("v", int32(0) + int32(1) + cString("_pq_.x"))
            + message("Z", [0x54])
    }

    static let expected: [PostgresBackendMessage] = [
        .authentication(.sasl(mechanisms: ["SCRAM-SHA-256"])),
        .authentication(.saslContinue(Array("r=abc,s=c2FsdA==,i=4096".utf8))),
        .authentication(.saslFinal(Array("v=c2ln".utf8))), .authentication(.ok),
        .parameterStatus(name: "server_version", value: "15.8"),
        .backendKeyData(processID: 4242, secretKey: -7),
        .readyForQuery(.idle), .parseComplete, .bindComplete,
        .rowDescription([PostgresColumn(name: "id", typeOID: 23), PostgresColumn(name: "name", typeOID: 25)]),
        .dataRow([Array("1".utf8), Array("é✓".utf8)]), .dataRow([Array("2".utf8), nil]),
        .noticeResponse(PostgresErrorFields([0x53: "NOTICE", 0x4D: "hi"])), .commandComplete(tag: "SELECT 2"),
        .errorResponse(PostgresErrorFields([0x43: "23505", 0x6E: "t_pkey"])), .emptyQueryResponse, .noData,
        .portalSuspended, .closeComplete, .parameterDescription([23, 25]),
        .notification(processID: 1, channel: "ch", payload: "payload"),
        .negotiateProtocolVersion(newestMinor: 0, unrecognizedOptions: ["_pq_.x"]),
        .readyForQuery(.inTransaction),
    ]
}

/// Feeds bytes in the given chunks; collects messages until the first error.
func decodeAll(_ chunks: [ArraySlice<UInt8>], maxMessageSize: Int = 1 << 20) -> (
    [PostgresBackendMessage], PostgresProtocolError?
) {
    var decoder = PostgresMessageDecoder(maxMessageSize: maxMessageSize)
    var out: [PostgresBackendMessage] = []
    for chunk in chunks {
        decoder.feed(chunk)
        do {
            while let m = try decoder.next() { out.append(m) }
        } catch {
            return (out, error)
        }
    }
    return (out, nil)
}

@Suite struct PostgresMessageDecoderTests {
    @Test func wholeByteByByteAndEverySplitAgree() {
        let bytes = BackendBytes.conversation
        let whole = decodeAll([bytes[...]])
        #expect(whole.0 == BackendBytes.expected)
        #expect(whole.1 == nil)
        let single = decodeAll(bytes.indices.map { bytes[$0...$0] })
        #expect(single.0 == whole.0 && single.1 == nil)
        for offset in 0...bytes.count {
            let split = decodeAll([bytes[..<offset], bytes[offset...]])
            #expect(split.0 == whole.0 && split.1 == nil, "split at \(offset)")
        }
    }

    @Test func partialMessageWaitsForTheRest() throws {
        var decoder = PostgresMessageDecoder()
        let bytes = BackendBytes.message("C", BackendBytes.cString("INSERT 0 1"))
        decoder.feed(bytes.dropLast())
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == bytes.count - 1)
        decoder.feed(bytes.suffix(1))
        #expect(try decoder.next() == .commandComplete(tag: "INSERT 0 1"))
        #expect(try decoder.next() == nil)
    }

    static let malformed: [(String, [UInt8], PostgresProtocolError)] = [
        ("length below 4", [0x5A, 0, 0, 0, 3], .invalidLength(type: 0x5A, length: 3)),
        ("negative length", [0x44, 0xFF, 0xFF, 0xFF, 0xFF], .invalidLength(type: 0x44, length: -1)),
        (
            "over the limit", [0x44, 0x7F, 0, 0, 0],
            .messageTooLarge(type: 0x44, length: 0x7F00_0000, limit: 1 << 20)
        ),
        ("unknown type", BackendBytes.message("q", []), .unknownMessageType(0x71)),
        ("missing ready status", BackendBytes.message("Z", []), .truncated(type: 0x5A)),
        (
            "bad ready status", BackendBytes.message("Z", [0x58]),
            .invalidField(type: 0x5A, reason: "unknown transaction status 88")
        ),
        ("ready with extra byte", BackendBytes.message("Z", [0x49, 0]), .trailingBytes(type: 0x5A)),
        ("tag without NUL", BackendBytes.message("C", Array("SELECT".utf8)), .truncated(type: 0x43)),
        (
            "negative column count", BackendBytes.message("D", BackendBytes.int16(-1)),
            .invalidField(type: 0x44, reason: "negative column count -1")
        ),
        ("column count past body", BackendBytes.message("D", BackendBytes.int16(3)), .truncated(type: 0x44)),
        (
            "value past body",
            BackendBytes.message("D", BackendBytes.int16(1) + BackendBytes.int32(10) + [1, 2]),
            .truncated(type: 0x44)
        ),
        (
            "value length -2", BackendBytes.message("D", BackendBytes.int16(1) + BackendBytes.int32(-2)),
            .invalidField(type: 0x44, reason: "negative value length -2")
        ),
        (
            "unknown auth", BackendBytes.message("R", BackendBytes.int32(99)),
            .invalidField(type: 0x52, reason: "unknown authentication request 99")
        ),
        (
            "md5 salt short", BackendBytes.message("R", BackendBytes.int32(5) + [1, 2]),
            .truncated(type: 0x52)
        ),
        (
            "row description short", BackendBytes.message("T", BackendBytes.int16(2) + [0]),
            .truncated(type: 0x54)
        ),
        (
            "error fields unterminated", BackendBytes.message("E", [0x43] + Array("23505".utf8)),
            .truncated(type: 0x45)
        ),
        ("backend key short", BackendBytes.message("K", BackendBytes.int32(1)), .truncated(type: 0x4B)),
        ("parse complete with body", BackendBytes.message("1", [0]), .trailingBytes(type: 0x31)),
    ]

    @Test(arguments: malformed.indices)
    func malformedMessageIsATypedError(_ index: Int) {
        let (name, bytes, error) = Self.malformed[index]
        let whole = decodeAll([bytes[...]])
        #expect(whole.1 == error, "\(name)")
        #expect(whole.0.isEmpty, "\(name)")
        // Byte by byte reaches the same verdict (the length check comes before buffering).
        let single = decodeAll(bytes.indices.map { bytes[$0...$0] })
        #expect(single.1 == error, "\(name) byte by byte")
    }

    @Test func errorIsStickyAndNamesTheMessage() {
        var decoder = PostgresMessageDecoder()
        decoder.feed(BackendBytes.message("q", []) + BackendBytes.message("Z", [0x49]))
        #expect(throws: PostgresProtocolError.unknownMessageType(0x71)) { try decoder.next() }
        #expect(throws: PostgresProtocolError.unknownMessageType(0x71)) { try decoder.next() }
        #expect(PostgresProtocolError.unknownMessageType(0x71).description.contains("'q'"))
        #expect(PostgresProtocolError.unknownMessageType(0x00).description.contains("0x0"))
    }

    @Test func randomBytesNeverCrashOrHang() {
        var rng = SeededRandom(seed: 13)
        let valid = BackendBytes.conversation
        for round in 0..<2000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                    UInt8.random(in: 0...255, using: &rng)
                }
            } else {
                // Valid traffic with a few bytes flipped: mostly well-framed, wrong inside.
                bytes = valid
                for _ in 0..<3 {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(
                        in: 0...255, using: &rng)
                }
            }
            var decoder = PostgresMessageDecoder(maxMessageSize: 4096)
            decoder.feed(bytes)
            var steps = 0
            while steps < bytes.count + 1, (try? decoder.next()) != nil { steps += 1 }
            #expect(steps <= bytes.count / 5)
        }
    }
}

@Suite struct PostgresFrontendTests {
    @Test func startupMessageLayout() {
        var out: [UInt8] = []
        PostgresFrontend.startup(parameters: [("user", "u")], into: &out)
        #expect(out == [0, 0, 0, 16, 0, 3, 0, 0] + Array("user".utf8) + [0, 0x75, 0, 0])
    }

    @Test func extendedQueryMessages() {
        var out: [UInt8] = []
        PostgresFrontend.parse(statement: "s1", sql: "SELECT $1", parameterTypes: [20], into: &out)
        #expect(
            out == [0x50, 0, 0, 0, 23] + Array("s1".utf8) + [0] + Array("SELECT $1".utf8) + [
                0, 0, 1, 0, 0, 0, 20,
            ])
        out = []
        PostgresFrontend.bind(
            portal: "", statement: "s1", parameterFormats: [0, 1], parameters: [[0x37], nil], resultFormat: 0,
            into: &out)
        #expect(
            out == [0x42, 0, 0, 0, 29, 0] + Array("s1".utf8) + [0, 0, 2, 0, 0, 0, 1, 0, 2, 0, 0, 0, 1, 0x37]
                + [0xFF, 0xFF, 0xFF, 0xFF, 0, 1, 0, 0])
        out = []
        PostgresFrontend.describe(.portal, name: "", into: &out)
        PostgresFrontend.execute(portal: "", into: &out)
        PostgresFrontend.sync(into: &out)
        #expect(out == [0x44, 0, 0, 0, 6, 0x50, 0, 0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4])
    }

    @Test func cancelAndSSLRequests() {
        var out: [UInt8] = []
        PostgresFrontend.cancelRequest(processID: 7, secretKey: -1, into: &out)
        #expect(out == [0, 0, 0, 16, 0x04, 0xD2, 0x16, 0x2E, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF])
        out = []
        PostgresFrontend.sslRequest(into: &out)
        #expect(out == [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F])
    }
}
