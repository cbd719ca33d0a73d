/// Why bytes from the server could not be decoded. The connection that sees one is closed: the
/// stream can no longer be trusted to be in step.
public enum PostgresProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A length field below 4 (it counts itself) or otherwise impossible.
    case invalidLength(type: UInt8, length: Int32)
    /// A message longer than the decoder's limit.
    case messageTooLarge(type: UInt8, length: Int, limit: Int)
    /// A message type byte the protocol does not define for the backend.
    case unknownMessageType(UInt8)
    /// The body ended before a field it must contain.
    case truncated(type: UInt8)
    /// Bytes left over after the last field of a fixed-layout message.
    case trailingBytes(type: UInt8)
    /// A field held a value the protocol does not allow (a negative count, an unknown code).
    case invalidField(type: UInt8, reason: String)

    public var description: String {
        switch self {
        case .invalidLength(let type, let length):
            "invalid length \(length) for message '\(Self.name(type))'"
        case .messageTooLarge(let type, let length, let limit):
            "message '\(Self.name(type))' of \(length) bytes exceeds the limit of \(limit)"
        case .unknownMessageType(let type): "unknown backend message type '\(Self.name(type))'"
        case .truncated(let type): "message '\(Self.name(type))' ends before its last field"
        case .trailingBytes(let type): "message '\(Self.name(type))' has bytes after its last field"
        case .invalidField(let type, let reason): "message '\(Self.name(type))': \(reason)"
        }
    }

    static func name(_ type: UInt8) -> String {
        (0x21...0x7E).contains(type) ? String(UnicodeScalar(type)) : "0x" + String(type, radix: 16)
    }
}
