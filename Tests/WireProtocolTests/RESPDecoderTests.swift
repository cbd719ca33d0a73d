import Testing

@testable import WireProtocol

/// Decodes `bytes` fed whole, byte by byte, and in 7-byte chunks; expects the same outcome each
/// way and returns it (values, then the error if one ended decoding).
private func decodeEveryWay(
    _ bytes: [UInt8], limits: RESPDecoder.Limits = .init()
) -> (values: [RedisValue], error: RESPProtocolError?) {
    func run(_ step: Int) -> (values: [RedisValue], error: RESPProtocolError?) {
        var decoder = RESPDecoder(limits: limits)
        var values: [RedisValue] = []
        var start = 0
        repeat {
            let end = min(bytes.count, start + step)
            decoder.feed(bytes[start..<end])
            start = end
            do {
                while let value = try decoder.next() { values.append(value) }
            } catch {
                return (values, error)
            }
        } while start < bytes.count
        return (values, nil)
    }
    let whole = run(max(bytes.count, 1))
    let single = run(1)
    let chunks = run(7)
    #expect(whole.values == single.values && whole.error == single.error, "byte by byte differs")
    #expect(whole.values == chunks.values && whole.error == chunks.error, "7-byte chunks differ")
    return whole
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("RESP decoder")
struct RESPDecoderTests {
    @Test(arguments: [
        ("+OK\r\n", RedisValue.simpleString("OK")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":0\r\n", .integer(0)),
        (":-9223372036854775808\r\n", .integer(.min)),
        (":9223372036854775807\r\n", .integer(.max)),
        ("$5\r\nhello\r\n", .bulkString(bytes("hello"))),
        ("$0\r\n\r\n", .bulkString([])),
        ("$4\r\na\r\nb\r\n", .bulkString(bytes("a\r\nb"))),
        ("$-1\r\n", .null),
        ("*-1\r\n", .null),
        ("*0\r\n", .array([])),
        ("*2\r\n$3\r\nfoo\r\n:7\r\n", .array([.bulkString(bytes("foo")), .integer(7)])),
        ("*2\r\n*1\r\n+a\r\n*0\r\n", .array([.array([.simpleString("a")]), .array([])])),
        ("_\r\n", .null),
        ("#t\r\n", .boolean(true)),
        (",3.25\r\n", .number("3.25")),
        ("(12345678901234567890\r\n", .number("12345678901234567890")),
        ("%1\r\n+k\r\n:1\r\n", .map([.simpleString("k"), .integer(1)])),
        ("~1\r\n+x\r\n", .array([.simpleString("x")])),
        (">2\r\n+message\r\n+hi\r\n", .push([.simpleString("message"), .simpleString("hi")])),
        ("=8\r\ntxt:abcd\r\n", .bulkString(bytes("abcd"))),
        ("!5\r\nOOPS!\r\n", .error("OOPS!")),
    ])
    func decodesEachType(_ wire: String, _ expected: RedisValue) {
        let outcome = decodeEveryWay(bytes(wire))
        #expect(outcome.error == nil)
        #expect(outcome.values == [expected])
    }

    @Test func pipelinedRepliesComeOutInOrder() {
        let outcome = decodeEveryWay(bytes("+OK\r\n:1\r\n$-1\r\n*1\r\n$1\r\nx\r\n-ERR no\r\n"))
        #expect(
            outcome.values == [
                .simpleString("OK"), .integer(1), .null, .array([.bulkString([120])]), .error("ERR no"),
            ])
    }

    @Test func binaryBulkStringsAreKeptExactly() {
        let payload: [UInt8] = (0...255).map { UInt8($0) }
        var wire = bytes("$256\r\n")
        wire += payload + [13, 10]
        #expect(decodeEveryWay(wire).values == [.bulkString(payload)])
    }

    @Test func aLargeArrayInSmallPiecesDecodesOnce() {
        var wire = bytes("*20000\r\n")
        for i in 0..<20000 { wire += bytes(":\(i)\r\n") }
        let outcome = decodeEveryWay(wire)
        #expect(outcome.values.count == 1)
        #expect(outcome.values.first?.array?.count == 20000)
        #expect(outcome.values.first?.array?.last == .integer(19999))
    }

    @Test func anOversizedBulkIsRefusedFromItsHeaderAlone() {
        var limits = RESPDecoder.Limits()
        limits.maxBulkLength = 100
        var decoder = RESPDecoder(limits: limits)
        decoder.feed(bytes("$101\r\n"))
        #expect(throws: RESPProtocolError.bulkTooLong(length: 101, limit: 100)) { try decoder.next() }
        // The error is final.
        decoder.feed(bytes("+OK\r\n"))
        #expect(throws: RESPProtocolError.bulkTooLong(length: 101, limit: 100)) { try decoder.next() }
    }

    @Test func elementCountAndNestingAreLimited() {
        var limits = RESPDecoder.Limits()
        limits.maxElements = 10
        limits.maxDepth = 3
        #expect(
            decodeEveryWay(bytes("*11\r\n"), limits: limits).error == .tooManyElements(count: 11, limit: 10))
        #expect(
            decodeEveryWay(bytes("%6\r\n"), limits: limits).error == .tooManyElements(count: 12, limit: 10))
        #expect(decodeEveryWay(bytes("*1\r\n*1\r\n*1\r\n:1\r\n"), limits: limits).values.count == 1)
        #expect(
            decodeEveryWay(bytes("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"), limits: limits).error
                == .tooDeep(limit: 3))
    }

    @Test func aDeeplyNestedReplyNeverRecurses() {
        // 100,000 levels declared, refused at the depth limit without a stack overflow.
        let wire =
            [UInt8](repeating: 0, count: 0) + Array(repeating: bytes("*1\r\n"), count: 100_000).flatMap { $0 }
        #expect(decodeEveryWay(wire).error == .tooDeep(limit: RESPDecoder.Limits().maxDepth))
    }

    @Test func anEndlessLineIsRefusedAtTheLimit() {
        var limits = RESPDecoder.Limits()
        limits.maxLineLength = 16
        #expect(
            decodeEveryWay(bytes("+" + String(repeating: "a", count: 16) + "\r\n"), limits: limits).values
                .count == 1)
        #expect(
            decodeEveryWay(bytes("+" + String(repeating: "a", count: 40)), limits: limits).error
                == .lineTooLong(limit: 16))
    }

    /// Fuzz finding (docs/fuzzing.md): a CR at the edge of the line window was judged "CR inside a
    /// line" when the next byte had arrived and "line too long" when it had not.
    @Test func aLineIsJudgedTheSameWhateverTheSplit() {
        var limits = RESPDecoder.Limits()
        limits.maxLineLength = 32
        let wire =
            Array(repeating: UInt8(0x2B), count: 1) + Array(repeating: 0x86, count: 30)
            + [0x03, 0x2A, 0x33, 0x0D, 0, 0, 0, 0, 0x0A, 0x24, 0x31, 0x0D]
        #expect(decodeEveryWay(wire, limits: limits).error == .lineTooLong(limit: 32))
        #expect(decodeEveryWay(bytes("+a\rb\r\n"), limits: limits).error == .malformed("a CR inside a line"))
    }

    @Test(arguments: [
        ("?what\r\n", RESPProtocolError.unknownType(UInt8(ascii: "?"))),
        (":12a\r\n", .badNumber),
        (":\r\n", .badNumber),
        (":99999999999999999999\r\n", .badNumber),
        ("$-2\r\n", .badNumber),
        ("*-5\r\n", .badNumber),
        ("%-1\r\n", .badNumber),
        ("$3\r\nabcd\r\n", .malformed("a bulk string not followed by CRLF")),
        ("+OK\n", .malformed("a line ending in LF alone")),
        ("+O\rK\r\n", .malformed("a CR inside a line")),
        ("#x\r\n", .malformed("a boolean other than t or f")),
        ("_x\r\n", .malformed("a null with a payload")),
        ("=2\r\nab\r\n", .malformed("a verbatim string without its format prefix")),
    ])
    func malformedInputIsATypedError(_ wire: String, _ expected: RESPProtocolError) {
        #expect(decodeEveryWay(bytes(wire)).error == expected)
    }

    @Test func whatTheEncoderWritesDecodesBack() {
        let values: [RedisValue] = [
            .simpleString("OK"), .error("ERR x"), .integer(-3), .bulkString([0, 13, 10, 255]), .null,
            .array([.integer(1), .array([.bulkString(bytes("deep"))])]),
            .map([.simpleString("k"), .boolean(false)]),
            .push([.simpleString("message")]), .number("1.5"),
        ]
        var wire: [UInt8] = []
        for value in values { RESPEncoder.encode(value, into: &wire) }
        #expect(decodeEveryWay(wire).values == values)
    }

    @Test func aCommandIsAnArrayOfBulkStrings() {
        var wire: [UInt8] = []
        RedisCommand("SET", "key", "välue").encode(into: &wire)
        #expect(wire == bytes("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\nvälue\r\n"))
        #expect(RedisCommand("AUTH", "user", "secret").description == "AUTH")
    }
}
