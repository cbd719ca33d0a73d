/// Why bytes from a Redis server could not be decoded. Each is fatal for the connection: after
/// a framing error nothing later on the stream can be trusted.
public enum RESPProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first byte of a value is no RESP type marker.
    case unknownType(UInt8)
    /// A header or simple line longer than the limit without its CRLF.
    case lineTooLong(limit: Int)
    /// A length, count or integer that is not a decimal number in range.
    case badNumber
    /// A bulk string declared longer than the limit (refused before buffering it).
    case bulkTooLong(length: Int64, limit: Int)
    /// An aggregate declared with more elements than the limit.
    case tooManyElements(count: Int64, limit: Int)
    /// Aggregates nested deeper than the limit.
    case tooDeep(limit: Int)
    /// A bulk payload not followed by CRLF, a bare CR/LF in a line, or a bad boolean.
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownType(let byte): "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .lineTooLong(let limit): "a RESP line longer than \(limit) bytes"
        case .badNumber: "a malformed RESP length or integer"
        case .bulkTooLong(let length, let limit): "a RESP bulk string of \(length) bytes (limit \(limit))"
        case .tooManyElements(let count, let limit): "a RESP aggregate of \(count) elements (limit \(limit))"
        case .tooDeep(let limit): "RESP aggregates nested deeper than \(limit)"
        case .malformed(let what): "malformed RESP: \(what)"
        }
    }
}
