import FoundationEssentials

/// A parameter or a column value. Parameters are sent in text format (bytea in binary) with the
/// type OID of their case; `.text` and `.other` are sent untyped, so the server infers the type
/// from the statement (a `.text` parameter can fill a `uuid` or `varchar` column). Results are
/// requested in text format and decoded by column type: the types below get their own case,
/// every other type arrives as `.other` with the server's text form (numeric, dates, arrays).
///
/// Literals work as parameters: `[42, "alice", true, nil, 1.5]`.
public enum PostgresValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float64(Double)
    case text(String)
    case bytea([UInt8])
    case uuid(UUID)
    case json(String)
    case jsonb(String)
    /// A point in time (timestamptz; timestamp without time zone is read as UTC). Microsecond
    /// precision on the server; `infinity` reads as `Date.distantFuture`.
    case timestamptz(Date)
    case other(typeOID: UInt32, text: String)

    /// An `Int` parameter (sent as int8).
    public static func int(_ value: Int) -> PostgresValue { .int64(Int64(value)) }

    /// A JSON value encoded from `Encodable` (sent as jsonb).
    public static func jsonb<T: Encodable>(encoding value: T) throws(PostgresError) -> PostgresValue {
        do {
            return .jsonb(String(decoding: try JSONEncoder().encode(value), as: UTF8.self))
        } catch {
            throw .decoding("cannot encode \(T.self) as JSON: \(error)")
        }
    }

    public var isNull: Bool { self == .null }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// Any integer case; also int8-valued `.other` (oid, xid) values.
    public var int64: Int64? {
        switch self {
        case .int16(let v): Int64(v)
        case .int32(let v): Int64(v)
        case .int64(let v): v
        case .other(_, let text): Int64(text)
        default: nil
        }
    }

    public var int: Int? { int64.flatMap { Int(exactly: $0) } }

    public var double: Double? {
        switch self {
        case .float64(let v): v
        case .int16, .int32, .int64: int64.map(Double.init)
        case .other(_, let text): Double(text)
        default: nil
        }
    }

    /// Text, JSON text, or the text form of an `.other` value.
    public var string: String? {
        switch self {
        case .text(let s), .json(let s), .jsonb(let s), .other(_, let s): s
        case .uuid(let u): u.uuidString.lowercased()
        default: nil
        }
    }

    public var bytes: [UInt8]? {
        if case .bytea(let b) = self { return b }
        return nil
    }

    public var uuid: UUID? {
        switch self {
        case .uuid(let u): u
        case .text(let s): UUID(uuidString: s)
        default: nil
        }
    }

    public var date: Date? {
        if case .timestamptz(let d) = self { return d }
        return nil
    }

    /// Decodes a JSON column (json, jsonb or text) into `T`.
    public func decodeJSON<T: Decodable>(_ type: T.Type) throws(PostgresError) -> T {
        guard let text = string else { throw .decoding("expected JSON, found \(typeName)") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .decoding("cannot decode \(T.self) from JSON: \(error)")
        }
    }

    /// A short name of the case, for error messages (never the value: it may be secret).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int16: "int2"
        case .int32: "int4"
        case .int64: "int8"
        case .float64: "float8"
        case .text: "text"
        case .bytea: "bytea"
        case .uuid: "uuid"
        case .json: "json"
        case .jsonb: "jsonb"
        case .timestamptz: "timestamptz"
        case .other(let oid, _): "oid \(oid)"
        }
    }
}

extension PostgresValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .float64(value) }
    public init(stringLiteral value: String) { self = .text(value) }
}

/// Type OIDs of the built-in types the client decodes (pg_type.dat).
public enum PostgresTypeOID {
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let name: UInt32 = 19
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let oid: UInt32 = 26
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let bpchar: UInt32 = 1042
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let uuid: UInt32 = 2950
    public static let jsonb: UInt32 = 3802
}
