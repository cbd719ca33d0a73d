/// One command: its name and arguments, each sent as a RESP bulk string (binary-safe).
public struct RedisCommand: Sendable, Hashable, CustomStringConvertible {
    public var arguments: [[UInt8]]

    /// `RedisCommand("SET", key, value, "NX", "PX", "5000")`.
    public init(_ name: String, _ arguments: String...) {
        self.arguments = [Array(name.utf8)] + arguments.map { Array($0.utf8) }
    }

    public init(_ name: String, arguments: [String]) {
        self.arguments = [Array(name.utf8)] + arguments.map { Array($0.utf8) }
    }

    /// Arguments as raw bytes (values that are not text).
    public init(bytes arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    public var name: String { String(decoding: arguments.first ?? [], as: UTF8.self).uppercased() }

    /// The command name only: arguments may hold passwords and user data, kept out of logs.
    public var description: String { name }

    /// Appends the command as a RESP array of bulk strings.
    public func encode(into out: inout [UInt8]) {
        RESPEncoder.appendHeader(UInt8(ascii: "*"), arguments.count, &out)
        for argument in arguments {
            RESPEncoder.appendHeader(UInt8(ascii: "$"), argument.count, &out)
            out.append(contentsOf: argument)
            out.append(0x0D)
            out.append(0x0A)
        }
    }
}

/// Writes RESP values: what the client sends, and what tests and the fuzz target feed back.
public enum RESPEncoder {
    static func appendHeader(_ type: UInt8, _ count: Int, _ out: inout [UInt8]) {
        out.append(type)
        out.append(contentsOf: String(count).utf8)
        out.append(0x0D)
        out.append(0x0A)
    }

    /// Encodes any value in RESP2 form where one exists (RESP3 types use their own markers).
    public static func encode(_ value: RedisValue, into out: inout [UInt8]) {
        func line(_ type: Character, _ text: String) {
            out.append(type.asciiValue ?? 0)
            out.append(contentsOf: text.utf8)
            out.append(0x0D)
            out.append(0x0A)
        }
        switch value {
        case .simpleString(let s): line("+", s)
        case .error(let e): line("-", e)
        case .integer(let n): line(":", String(n))
        case .bulkString(let bytes):
            appendHeader(UInt8(ascii: "$"), bytes.count, &out)
            out.append(contentsOf: bytes)
            out.append(0x0D)
            out.append(0x0A)
        case .array(let values), .push(let values):
            appendHeader(value.isPush ? UInt8(ascii: ">") : UInt8(ascii: "*"), values.count, &out)
            for v in values { encode(v, into: &out) }
        case .map(let values):
            appendHeader(UInt8(ascii: "%"), values.count / 2, &out)
            for v in values.prefix(values.count / 2 * 2) { encode(v, into: &out) }
        case .boolean(let b): line("#", b ? "t" : "f")
        case .number(let n): line(",", n)
        case .null: line("$", "-1")
        }
    }
}

extension RedisValue {
    fileprivate var isPush: Bool {
        if case .push = self { return true }
        return false
    }
}
