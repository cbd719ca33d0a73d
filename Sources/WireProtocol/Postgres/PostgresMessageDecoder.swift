/// Turns bytes from the server into `PostgresBackendMessage`s. Pure: no I/O, no clock.
///
/// Feed whatever the socket returned, then call `next()` until it returns nil (more bytes
/// needed). Every message is a type byte and a big-endian Int32 length that counts itself; the
/// length is checked against `maxMessageSize` before anything is buffered for it, so a hostile
/// or broken peer cannot make the client allocate without bound. After an error the decoder
/// stays failed (the stream is out of step) and keeps returning the same error.
public struct PostgresMessageDecoder: Sendable {
    /// Largest message accepted (type byte excluded). A DataRow holding a 1 GB field would exceed
    /// the default; the server's own limit for one field is 1 GB.
    public var maxMessageSize: Int

    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: PostgresProtocolError?

    public init(maxMessageSize: Int = 64 * 1024 * 1024) {
        self.maxMessageSize = maxMessageSize
    }

    /// Bytes received but not yet decoded.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func feed<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil when more bytes are needed.
    public mutating func next() throws(PostgresProtocolError) -> PostgresBackendMessage? {
        if let failure { throw failure }
        guard buffer.count - start >= 5 else { return nil }
        let type = buffer[start]
        let length = Int32(bitPattern: PostgresByteReader.bigEndianUInt32(buffer, at: start + 1))
        do throws(PostgresProtocolError) {
            guard length >= 4 else { throw PostgresProtocolError.invalidLength(type: type, length: length) }
            guard Int(length) <= maxMessageSize else {
                throw PostgresProtocolError.messageTooLarge(
                    type: type, length: Int(length), limit: maxMessageSize)
            }
            let end = start + 1 + Int(length)
            guard buffer.count >= end else { return nil }
            let body = buffer[(start + 5)..<end]
            let message = try Self.decode(type: type, body: body)
            start = end
            if start == buffer.count {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
                start = 0
            }
            return message
        } catch {
            failure = error
            throw error
        }
    }

    /// Decodes one message body (after the type byte and length).
    public static func decode(type: UInt8, body: ArraySlice<UInt8>) throws(PostgresProtocolError)
        -> PostgresBackendMessage
    {
        var r = PostgresByteReader(body, type: type)
        let message: PostgresBackendMessage
        switch type {
        case UInt8(ascii: "R"): message = .authentication(try decodeAuthentication(&r))
        case UInt8(ascii: "K"): message = .backendKeyData(processID: try r.int32(), secretKey: try r.int32())
        case UInt8(ascii: "2"): message = .bindComplete
        case UInt8(ascii: "3"): message = .closeComplete
        case UInt8(ascii: "C"): message = .commandComplete(tag: try r.cString())
        case UInt8(ascii: "d"): message = .copyData(r.rest())
        case UInt8(ascii: "c"): message = .copyDone
        case UInt8(ascii: "G"), UInt8(ascii: "H"), UInt8(ascii: "W"):
            _ = r.rest()
            message = .copyResponse(type: type)
        case UInt8(ascii: "D"): message = .dataRow(try decodeDataRow(&r))
        case UInt8(ascii: "I"): message = .emptyQueryResponse
        case UInt8(ascii: "E"): message = .errorResponse(try decodeFields(&r))
        case UInt8(ascii: "N"): message = .noticeResponse(try decodeFields(&r))
        case UInt8(ascii: "V"):
            let length = try r.int32()
            guard length >= -1 else { throw r.invalid("negative value length \(length)") }
            message = .functionCallResponse(length == -1 ? nil : try r.bytes(Int(length)))
        case UInt8(ascii: "v"):
            let minor = try r.int32()
            let count = try r.int32()
            guard count >= 0 else { throw r.invalid("negative option count \(count)") }
            var options: [String] = []
            for _ in 0..<count { options.append(try r.cString()) }
            message = .negotiateProtocolVersion(newestMinor: minor, unrecognizedOptions: options)
        case UInt8(ascii: "n"): message = .noData
        case UInt8(ascii: "A"):
            message = .notification(
                processID: try r.int32(), channel: try r.cString(), payload: try r.cString())
        case UInt8(ascii: "t"):
            let count = try r.int16()
            guard count >= 0 else { throw r.invalid("negative parameter count \(count)") }
            var oids: [UInt32] = []
            oids.reserveCapacity(Int(count))
            for _ in 0..<count { oids.append(try r.uint32()) }
            message = .parameterDescription(oids)
        case UInt8(ascii: "S"): message = .parameterStatus(name: try r.cString(), value: try r.cString())
        case UInt8(ascii: "1"): message = .parseComplete
        case UInt8(ascii: "s"): message = .portalSuspended
        case UInt8(ascii: "Z"):
            let raw = try r.uint8()
            guard let status = PostgresTransactionStatus(rawValue: raw) else {
                throw r.invalid("unknown transaction status \(raw)")
            }
            message = .readyForQuery(status)
        case UInt8(ascii: "T"): message = .rowDescription(try decodeRowDescription(&r))
        default: throw .unknownMessageType(type)
        }
        try r.expectEnd()
        return message
    }

    private static func decodeAuthentication(_ r: inout PostgresByteReader) throws(PostgresProtocolError)
        -> PostgresAuthenticationRequest
    {
        let code = try r.int32()
        switch code {
        case 0: return .ok
        case 2: return .kerberosV5
        case 3: return .cleartextPassword
        case 5: return .md5Password(salt: try r.bytes(4))
        case 7: return .gss
        case 8: return .gssContinue(r.rest())
        case 9: return .sspi
        case 10:
            var mechanisms: [String] = []
            while true {
                let name = try r.cString()
                if name.isEmpty { break }
                mechanisms.append(name)
            }
            return .sasl(mechanisms: mechanisms)
        case 11: return .saslContinue(r.rest())
        case 12: return .saslFinal(r.rest())
        default: throw r.invalid("unknown authentication request \(code)")
        }
    }

    private static func decodeDataRow(_ r: inout PostgresByteReader) throws(PostgresProtocolError)
        -> [[UInt8]?]
    {
        let count = try r.int16()
        guard count >= 0 else { throw r.invalid("negative column count \(count)") }
        // Each column needs at least its 4-byte length: reject a count the body cannot hold
        // before reserving space for it.
        guard Int(count) * 4 <= r.remaining else { throw .truncated(type: r.type) }
        var values: [[UInt8]?] = []
        values.reserveCapacity(Int(count))
        for _ in 0..<count {
            let length = try r.int32()
            if length == -1 {
                values.append(nil)
            } else {
                guard length >= 0 else { throw r.invalid("negative value length \(length)") }
                values.append(try r.bytes(Int(length)))
            }
        }
        return values
    }

    private static func decodeRowDescription(_ r: inout PostgresByteReader) throws(PostgresProtocolError)
        -> [PostgresColumn]
    {
        let count = try r.int16()
        guard count >= 0 else { throw r.invalid("negative field count \(count)") }
        // A field is at least a 1-byte empty name and 18 bytes of attributes.
        guard Int(count) * 19 <= r.remaining else { throw .truncated(type: r.type) }
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(Int(count))
        for _ in 0..<count {
            columns.append(
                PostgresColumn(
                    name: try r.cString(), tableOID: try r.uint32(), attributeNumber: try r.int16(),
                    typeOID: try r.uint32(), typeSize: try r.int16(), typeModifier: try r.int32(),
                    formatCode: try r.int16()))
        }
        return columns
    }

    private static func decodeFields(_ r: inout PostgresByteReader) throws(PostgresProtocolError)
        -> PostgresErrorFields
    {
        var fields: [UInt8: String] = [:]
        while true {
            let code = try r.uint8()
            if code == 0 { break }
            fields[code] = try r.cString()
        }
        return PostgresErrorFields(fields)
    }
}

/// Reads big-endian integers and NUL-terminated strings from a message body, throwing
/// `.truncated` instead of reading past its end.
struct PostgresByteReader {
    let bytes: ArraySlice<UInt8>
    let type: UInt8
    var index: Int

    init(_ bytes: ArraySlice<UInt8>, type: UInt8) {
        self.bytes = bytes
        self.type = type
        self.index = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - index }

    func invalid(_ reason: String) -> PostgresProtocolError { .invalidField(type: type, reason: reason) }

    mutating func uint8() throws(PostgresProtocolError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated(type: type) }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func int16() throws(PostgresProtocolError) -> Int16 {
        guard remaining >= 2 else { throw .truncated(type: type) }
        defer { index += 2 }
        return Int16(bitPattern: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
    }

    mutating func uint32() throws(PostgresProtocolError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated(type: type) }
        defer { index += 4 }
        return Self.bigEndianUInt32(bytes, at: index)
    }

    mutating func int32() throws(PostgresProtocolError) -> Int32 { Int32(bitPattern: try uint32()) }

    mutating func bytes(_ count: Int) throws(PostgresProtocolError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(type: type) }
        defer { index += count }
        return Array(bytes[index..<(index + count)])
    }

    mutating func cString() throws(PostgresProtocolError) -> String {
        guard let end = bytes[index...].firstIndex(of: 0) else { throw .truncated(type: type) }
        defer { index = end + 1 }
        return String(decoding: bytes[index..<end], as: UTF8.self)
    }

    mutating func rest() -> [UInt8] {
        defer { index = bytes.endIndex }
        return Array(bytes[index...])
    }

    func expectEnd() throws(PostgresProtocolError) {
        guard remaining == 0 else { throw .trailingBytes(type: type) }
    }

    static func bigEndianUInt32<C: RandomAccessCollection>(_ bytes: C, at i: C.Index) -> UInt32
    where C.Element == UInt8, C.Index == Int {
        UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }
}
