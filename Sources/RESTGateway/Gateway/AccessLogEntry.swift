import FoundationEssentials
import WireProtocol

/// One access-log line, kept as the facts of the request and formatted later.
///
/// The request thread only copies a few references and numbers into this value, and the sink
/// copies its bytes into its batch (`AccessLogRecord`); the JSON line (timestamp text, escaping,
/// number formatting) is built when the sink writes the batch (`StandardErrorSink`: on the loop's
/// timer, or on the writer thread), not while the request is being answered.
/// Sinks that keep lines (tests) format at once, so what they capture is the same text.
public struct AccessLogEntry: Sendable {
    public var time: Date
    public var method: String
    /// The request target; only its path is logged (the query may carry tokens).
    public var target: String
    public var status: Int
    public var nanoseconds: UInt64
    public var bytes: Int
    public var requestID: String
    public var peer: String
    public var userID: String?

    public init(
        time: Date, method: String, target: String, status: Int, nanoseconds: UInt64, bytes: Int,
        requestID: String, peer: String, userID: String?
    ) {
        self.time = time
        self.method = method
        self.target = target
        self.status = status
        self.nanoseconds = nanoseconds
        self.bytes = bytes
        self.requestID = requestID
        self.peer = peer
        self.userID = userID
    }

    /// The JSON line, byte for byte what `Logger.log(.info, "request", ...)` writes for the same
    /// fields (`LoggerTests`), built straight into bytes: the general path (an array of
    /// `JSONValue` fields, a timestamp `String`, `Double` printing) was 7 % of the server's CPU on
    /// `GET /` (benchmarks/perf.md), since every request writes one of these.
    public func line(timestamps: MillisecondTimestampCache) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(192 + target.utf8.count + peer.utf8.count + (userID?.utf8.count ?? 0))
        append(to: &line, timestamps: timestamps)
        return line
    }

    /// Appends the line to `out`: packed as the sink's batches are, then formatted the same way
    /// (`AccessLogRecord`), so there is one formatter of the access line.
    public func append(to line: inout [UInt8], timestamps: MillisecondTimestampCache) {
        var record: [UInt8] = []
        AccessLogRecord.append(self, offset: 0, to: &record)
        line.append(contentsOf: AccessLogRecord.format(record, between: [], timestamps: timestamps))
    }

    /// The duration in milliseconds rounded to the microsecond, as `JSONValue` prints the
    /// `Double` `(µs).rounded() / 1000`: the whole part, then up to three decimals without
    /// trailing zeros ("1.5", "0.001", "12"). Exact for any duration below 2^53 µs (285 years),
    /// where every such quotient prints in this shortest form. At most 25 bytes.
    static func writeMilliseconds(_ nanoseconds: UInt64, to out: inout ByteCursor) {
        let micro = nanoseconds / 1_000 + (nanoseconds % 1_000 >= 500 ? 1 : 0)
        out.writeDecimal(Int(micro / 1_000))
        var fraction = micro % 1_000
        guard fraction != 0 else { return }
        out.write(UInt8(ascii: "."))
        var scale: UInt64 = 100
        while fraction != 0 {
            out.write(UInt8(ascii: "0") + UInt8(fraction / scale))
            fraction %= scale
            scale /= 10
        }
    }
}
