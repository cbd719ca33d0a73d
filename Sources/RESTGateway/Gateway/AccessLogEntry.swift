import CollabCore
import FoundationEssentials

/// One access-log line, kept as the facts of the request and formatted later.
///
/// The request thread only copies a few references and numbers into this value; the JSON
/// line (timestamp text, escaping, number formatting) is built by the sink's writer thread
/// (`StandardErrorSink`) when it writes a batch, not on the I/O loop that served the request.
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

    /// The JSON line, as `Logger.log(.info, "request", ...)` writes it.
    public func line(timestamps: MillisecondTimestampCache) -> [UInt8] {
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(target[..<$0]) } ?? target
        let milliseconds = (Double(nanoseconds) / 1_000).rounded() / 1_000
        var fields: [(String, JSONValue)] = [
            ("method", .string(method)),
            ("path", .string(path)),
            ("status", .number(Double(status))),
            ("duration_ms", .number(milliseconds)),
            ("bytes", .number(Double(bytes))),
            ("request_id", .string(requestID)),
            ("peer", .string(peer)),
        ]
        if let userID { fields.append(("user_id", .string(userID))) }
        return Logger.format(
            timestamp: timestamps.format(time), level: .info, message: "request", fields: fields)
    }
}
