/// One RESP value as the server sent it (RESP2, plus the RESP3 types a RESP2 client can meet or
/// a RESP3 server pushes).
///
/// Strings stay bytes: Redis keys and values are binary-safe, and converting every reply to
/// `String` would cost a UTF-8 validation the caller may not need. Use `string`, `integer` and
/// `array` to read a reply of an expected shape.
public enum RedisValue: Sendable, Hashable, CustomStringConvertible {
    /// `+OK` — a short status line.
    case simpleString(String)
    /// `-ERR …` — an error reply; the connection stays usable.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5 hello`; `$-1` (RESP2) and `_` (RESP3) are `.null`.
    case bulkString([UInt8])
    /// `*2 …`; `~` (RESP3 set) also decodes to an array; `*-1` is `.null`.
    case array([RedisValue])
    /// RESP3 map `%`: keys and values alternate, in the server's order.
    case map([RedisValue])
    /// RESP3 out-of-band push `>` (pub/sub messages under RESP3).
    case push([RedisValue])
    /// RESP3 `#t` / `#f`.
    case boolean(Bool)
    /// RESP3 `,` double, and `(` big number, kept as the server's text.
    case number(String)
    /// `$-1`, `*-1` or `_`: no value (a missing key).
    case null

    /// The text of a bulk or simple string (nil for other types or invalid UTF-8).
    public var string: String? {
        switch self {
        case .simpleString(let s): s
        case .bulkString(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The bytes of a bulk or simple string.
    public var bytes: [UInt8]? {
        switch self {
        case .simpleString(let s): Array(s.utf8)
        case .bulkString(let bytes): bytes
        default: nil
        }
    }

    /// An integer reply, or a string that holds a decimal integer (Lua numbers arrive as integers).
    public var integer: Int64? {
        switch self {
        case .integer(let n): n
        case .bulkString, .simpleString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array, set, map or push.
    public var array: [RedisValue]? {
        switch self {
        case .array(let values), .map(let values), .push(let values): values
        default: nil
        }
    }

    public var isNull: Bool { self == .null }

    /// Short form for logs and errors; long strings are truncated.
    public var description: String {
        switch self {
        case .simpleString(let s): "+\(s)"
        case .error(let e): "-\(e)"
        case .integer(let n): ":\(n)"
        case .bulkString(let b):
            b.count > 64 ? "$\(b.count) bytes" : "\"\(String(decoding: b, as: UTF8.self))\""
        case .array(let a):
            "[\(a.prefix(8).map(\.description).joined(separator: ", "))\(a.count > 8 ? ", …" : "")]"
        case .map(let a): "%{\(a.count / 2) pairs}"
        case .push(let a): ">[\(a.prefix(8).map(\.description).joined(separator: ", "))]"
        case .boolean(let b): b ? "#t" : "#f"
        case .number(let n): ",\(n)"
        case .null: "(nil)"
        }
    }
}
