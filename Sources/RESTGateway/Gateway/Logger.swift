import CollabCore
import FoundationEssentials

/// A structured logger: each entry is one JSON object on one line (DESIGN §8), with a timestamp,
/// a level, a message and the caller's fields in the order given.
public struct Logger: Sendable {
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public init?(name: String) {
            guard let level = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
            self = level
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public let sink: any LogSink
    public let minimumLevel: Level
    /// Wall-clock source for the `ts` field (injectable so tests can pin it).
    let now: @Sendable () -> Date
    private let timestamps = MillisecondTimestampCache()

    public init(
        sink: any LogSink, minimumLevel: Level = .info, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.sink = sink
        self.minimumLevel = minimumLevel
        self.now = now
    }

    /// A logger that writes nothing.
    public static let discarding = Logger(sink: DiscardingLogSink())

    public func isEnabled(_ level: Level) -> Bool { level >= minimumLevel }

    public func log(_ level: Level, _ message: String, _ fields: [(String, JSONValue)] = []) {
        guard isEnabled(level) else { return }
        sink.write(
            Self.format(timestamp: timestamps.format(now()), level: level, message: message, fields: fields))
    }

    /// Hands an access-log line to the sink to format when it writes (at info level).
    public func access(_ entry: AccessLogEntry) {
        guard isEnabled(.info) else { return }
        sink.write(deferred: entry)
    }

    /// The wall-clock time for an entry made now.
    public var time: Date { now() }

    /// One log line: `{"ts":...,"level":...,"msg":...,` then the fields in order, newline.
    static func format(timestamp: String, level: Level, message: String, fields: [(String, JSONValue)])
        -> [UInt8]
    {
        var line: [UInt8] = []
        line.reserveCapacity(160)
        line.append(contentsOf: #"{"ts":""#.utf8)
        line.append(contentsOf: timestamp.utf8)
        line.append(contentsOf: #"","level":""#.utf8)
        line.append(contentsOf: level.name.utf8)
        line.append(contentsOf: #"","msg":"#.utf8)
        JSONValue.string(message).write(to: &line, sortedKeys: false)
        for (key, value) in fields {
            line.append(UInt8(ascii: ","))
            JSONValue.string(key).write(to: &line, sortedKeys: false)
            line.append(UInt8(ascii: ":"))
            value.write(to: &line, sortedKeys: true)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }

    public func debug(_ message: String, _ fields: [(String, JSONValue)] = []) {
        log(.debug, message, fields)
    }
    public func info(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, JSONValue)] = []) {
        log(.warning, message, fields)
    }
    public func error(_ message: String, _ fields: [(String, JSONValue)] = []) {
        log(.error, message, fields)
    }
}
