import CollabCore
import FoundationEssentials
import Glibc
import Testing

@testable import RESTGateway

@Suite struct LoggerTests {
    let fixed = Date(timeIntervalSince1970: 1_744_200_000.25)

    @Test func lineIsOneJSONObjectWithFieldsInOrder() throws {
        let sink = CapturingLogSink()
        let logger = Logger(sink: sink, now: { [fixed] in fixed })
        logger.info("hello \"world\"\n", [("a", 1), ("b", .string("x\ny")), ("c", .object(["k": true]))])
        #expect(sink.captured.count == 1)
        let line = sink.captured[0]
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix(#"{"ts":"2025-04-09T12:00:00.250Z","level":"info","msg":"#))
        let value = try JSONValue.parse(line)
        #expect(value["msg"] == "hello \"world\"\n")
        #expect(value["a"] == 1)
        #expect(value["b"] == "x\ny")
        #expect(value["c"] == .object(["k": true]))
    }

    @Test func levelsBelowTheMinimumAreDropped() {
        let sink = CapturingLogSink()
        let logger = Logger(sink: sink, minimumLevel: .warning)
        logger.debug("d")
        logger.info("i")
        logger.warning("w")
        logger.error("e")
        #expect(sink.captured.count == 2)
        #expect(
            sink.captured.allSatisfy {
                $0.contains(#""level":"warning""#) || $0.contains(#""level":"error""#)
            })
    }

    @Test(arguments: [
        ("debug", Logger.Level.debug), ("INFO", .info), ("warning", .warning), ("error", .error),
    ])
    func levelNames(_ name: String, _ level: Logger.Level) {
        #expect(Logger.Level(name: name) == level)
    }

    @Test func unknownLevelName() { #expect(Logger.Level(name: "loud") == nil) }
}

@Suite struct RFC3339Tests {
    static let cases: [(Double, Int, String)] = [
        (0, 0, "1970-01-01T00:00:00Z"),
        (951_782_400, 0, "2000-02-29T00:00:00Z"),  // leap day of a 400-year leap year
        (1_744_200_000, 0, "2025-04-09T12:00:00Z"),
        (1_744_200_000.999_9, 3, "2025-04-09T12:00:00.999Z"),
        (4_102_444_799, 0, "2099-12-31T23:59:59Z"),
        (-1, 0, "1969-12-31T23:59:59Z"),
        (1_709_164_800, 0, "2024-02-29T00:00:00Z"),
    ]

    @Test(arguments: cases)
    func format(_ seconds: Double, _ digits: Int, _ expected: String) {
        #expect(RFC3339.format(Date(timeIntervalSince1970: seconds), fractionalDigits: digits) == expected)
    }

    @Test func agreesWithFoundationOverManyDays() {
        // Every ~37 hours over ~300 years against the ISO 8601 formatter.
        var t = -2_208_988_800.0
        while t < 7_258_118_400 {
            let date = Date(timeIntervalSince1970: t)
            #expect(RFC3339.format(date) == date.formatted(.iso8601))
            t += 133_337
        }
    }
}

@Suite struct MillisecondTimestampCacheTests {
    @Test func agreesWithTheDirectFormatterAcrossSeconds() {
        let cache = MillisecondTimestampCache()
        for t in stride(from: 1_744_199_999.0, to: 1_744_200_002.0, by: 0.0625) {
            let date = Date(timeIntervalSince1970: t)
            #expect(cache.format(date) == RFC3339.format(date, fractionalDigits: 3))
        }
        // Going back in time (clock step) must not reuse the newer second.
        let earlier = Date(timeIntervalSince1970: 1_000_000_000.5)
        #expect(cache.format(earlier) == "2001-09-09T01:46:40.500Z")
    }

    /// A clock far off (a year past 9999, before 1) widens the year; the text still comes out,
    /// as the direct formatter writes it, and so does an access line at that time.
    @Test func yearsOfMoreThanFourDigitsStillFormat() throws {
        let cache = MillisecondTimestampCache()
        for t in [600_000_000_000.25, 9_000_000_000_000_000.5, -700_000_000_000.75] {
            let date = Date(timeIntervalSince1970: t)
            #expect(cache.format(date) == RFC3339.format(date, fractionalDigits: 3))
            #expect(cache.format(date).utf8.count > 24)
            let entry = AccessLogEntry(
                time: date, method: "GET", target: "/", status: 200, nanoseconds: 1, bytes: 0,
                requestID: "r", peer: "p", userID: nil)
            let line = try JSONValue.parse(Array(entry.line(timestamps: cache).dropLast()))
            #expect(line["ts"]?.stringValue == RFC3339.format(date, fractionalDigits: 3))
        }
    }
}

/// Everything left to read on `fd` (a pipe whose write end is closed).
func readToEnd(_ fd: Int32) -> [UInt8] {
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { return text }
        text += chunk[0..<n]
    }
}

@Suite struct StandardErrorSinkTests {
    @Test func linesArriveInOrderAfterFlush() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let sink = StandardErrorSink(descriptor: fds[1], coalescing: .seconds(60))
        for i in 0..<1000 { sink.write(Array("line \(i)\n".utf8)) }
        sink.flush()  // must not wait for the 60 s coalescing window
        sink.write(Array("last\n".utf8))
        sink.flush()
        close(fds[1])
        let text = readToEnd(fds[0])
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1001)
        #expect(lines.first == "line 0")
        #expect(lines[999] == "line 999")
        #expect(lines.last == "last")
    }
}

@Suite struct DeferredAccessLogTests {
    static func entry(_ i: Int) -> AccessLogEntry {
        AccessLogEntry(
            time: Date(timeIntervalSince1970: 1_750_000_000.25), method: "GET",
            target: "/x/\(i)?token=secret",
            status: 200, nanoseconds: 1_500_000, bytes: 10, requestID: "r-\(i)", peer: "127.0.0.1:1",
            userID: i % 2 == 0 ? "u-\(i)" : nil)
    }

    /// Entries are formatted by the writer, in order with the plain lines around them, and a
    /// flush (clean shutdown) writes every one: nothing is lost.
    @Test func entriesAreFormattedByTheWriterInOrderAndNoneIsLostOnFlush() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let sink = StandardErrorSink(descriptor: fds[1], coalescing: .seconds(60))
        let logger = Logger(sink: sink)
        // Under the pipe's 64 KiB, which nobody reads until the end.
        for i in 0..<200 {
            logger.access(Self.entry(i))
            if i % 100 == 0 { sink.write(Array("marker \(i)\n".utf8)) }
        }
        sink.flush()
        close(fds[1])
        let text = readToEnd(fds[0])
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 202)
        #expect(lines[1] == "marker 0")
        #expect(lines[102] == "marker 100")
        let first = try JSONValue.parse(lines[0])
        #expect(first["msg"] == "request")
        #expect(first["ts"] == "2025-06-15T15:06:40.250Z")
        #expect(first["path"] == "/x/0")
        #expect(first["duration_ms"] == 1.5)
        #expect(first["request_id"] == "r-0")
        #expect(first["user_id"] == "u-0")
        let last = try JSONValue.parse(lines[201])
        #expect(last["request_id"] == "r-199")
        #expect(last["user_id"] == nil)
    }

    /// A reader that falls behind cannot grow the sink's memory without bound: past `maxPending`
    /// bytes waiting, lines are dropped, and the batch ends with a warning that counts them.
    @Test func linesPastTheBoundAreDroppedAndCounted() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        // Nothing is written before `flush` (60 s coalescing): everything waits, as behind a
        // reader that stopped.
        let sink = StandardErrorSink(descriptor: fds[1], coalescing: .seconds(60), maxPending: 4_096)
        let logger = Logger(sink: sink)
        for i in 0..<200 {
            if i % 2 == 0 {
                sink.write(Array("plain line \(1000 + i)\n".utf8))
            } else {
                logger.access(Self.entry(i))
            }
        }
        sink.flush()
        // The count starts again after a batch: the next one has no warning.
        sink.write(Array("after\n".utf8))
        sink.flush()
        close(fds[1])
        let text = readToEnd(fds[0])
        var lines = String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.removeLast() == "after")
        let warning = try JSONValue.parse(try #require(lines.last))
        #expect(warning["level"] == "warning")
        let dropped = try #require(warning["dropped"]?.doubleValue)
        // Every line is either written or counted, and the bound held.
        #expect(lines.count - 1 + Int(dropped) == 200)
        #expect(dropped > 100)
        #expect(text.count < 4_096 * 4)
        // What was kept is the first lines, in order.
        #expect(lines.first == "plain line 1000")
        #expect(try JSONValue.parse(lines[1])["request_id"] == "r-1")
    }

    /// The access line is built byte by byte for speed: over many shapes (escapes in every
    /// string, no query, durations from 0 through rounding edges to hours, odd statuses and
    /// sizes, with and without a user) it is exactly the line the general formatter writes.
    @Test func theFastAccessLineIsTheGeneralFormattersLine() {
        let timestamps = MillisecondTimestampCache()
        let durations: [UInt64] = [
            0, 1, 499, 500, 999, 1_000, 1_499, 1_500, 10_000, 100_000, 999_499, 999_500, 1_000_000,
            1_500_000, 1_234_567, 12_345_678_901, 3_600_000_000_000, 86_400_000_123_456,
        ]
        let targets = ["/", "/x/1?token=s", "/a\"b\\c", "/tab\there", "/é/ü?q", "?only", "/ctl\u{1}"]
        var checked = 0
        for (i, nanoseconds) in durations.enumerated() {
            for (j, target) in targets.enumerated() {
                let entry = AccessLogEntry(
                    time: Date(timeIntervalSince1970: 1_750_000_000 + Double(i * 7 + j) * 0.0371),
                    method: j % 2 == 0 ? "GET" : "PO\"ST", target: target, status: [200, 101, 599, 0][j % 4],
                    nanoseconds: nanoseconds, bytes: [0, 10, 1 << 40][i % 3], requestID: "r-\(i)\n\(j)",
                    peer: "[::1]:\(i)", userID: (i + j) % 3 == 0 ? nil : "u\"\(j)")
                let path = target.firstIndex(of: "?").map { String(target[..<$0]) } ?? target
                var fields: [(String, JSONValue)] = [
                    ("method", .string(entry.method)), ("path", .string(path)),
                    ("status", .number(Double(entry.status))),
                    ("duration_ms", .number((Double(nanoseconds) / 1_000).rounded() / 1_000)),
                    ("bytes", .number(Double(entry.bytes))), ("request_id", .string(entry.requestID)),
                    ("peer", .string(entry.peer)),
                ]
                if let user = entry.userID { fields.append(("user_id", .string(user))) }
                let general = Logger.format(
                    timestamp: timestamps.format(entry.time), level: .info, message: "request", fields: fields
                )
                let fast = entry.line(timestamps: timestamps)
                #expect(fast == general, "\(String(decoding: fast, as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked == durations.count * targets.count)
    }

    /// Lines are written into memory sized from a bound (`AccessLogRecord.lineOverhead` plus six
    /// bytes per text byte); the widest line there is, every text byte escaped to `\u00XX` and
    /// every number at its longest, still fits and reads back.
    @Test func theWidestAccessLineFitsItsBound() throws {
        let control = String(repeating: "\u{1}", count: 300)
        let entry = AccessLogEntry(
            time: Date(timeIntervalSince1970: 4_102_444_799.999), method: control, target: "/" + control,
            status: Int.min, nanoseconds: UInt64.max, bytes: Int.min, requestID: control, peer: control,
            userID: control)
        let line = entry.line(timestamps: MillisecondTimestampCache())
        let parsed = try JSONValue.parse(Array(line.dropLast()))
        #expect(parsed["method"]?.stringValue == control)
        #expect(parsed["path"]?.stringValue == "/" + control)
        #expect(parsed["user_id"]?.stringValue == control)
        #expect(line.count > 5 * 6 * 300)
        #expect(String(decoding: line, as: UTF8.self).contains(#""status":-9223372036854775808,"#))
        #expect(String(decoding: line, as: UTF8.self).contains(#""duration_ms":18446744073709.552,"#))
    }

    /// The deferred line is the line `Logger.log` would have written at request time.
    @Test func aDeferredEntryFormatsLikeALoggedLine() {
        let sink = CapturingLogSink()
        let logger = Logger(sink: sink, now: { Date(timeIntervalSince1970: 1_750_000_000.25) })
        let e = Self.entry(2)
        logger.access(e)
        logger.info(
            "request",
            [
                ("method", "GET"), ("path", "/x/2"), ("status", 200), ("duration_ms", 1.5), ("bytes", 10),
                ("request_id", "r-2"), ("peer", "127.0.0.1:1"), ("user_id", "u-2"),
            ])
        #expect(sink.captured.count == 2)
        #expect(sink.captured.first == sink.captured.last)
        // Below info level nothing is queued.
        let quiet = CapturingLogSink()
        Logger(sink: quiet, minimumLevel: .warning).access(e)
        #expect(quiet.captured.isEmpty)
    }
}
