/// An incremental decoder of RESP replies ("Redis serialization protocol specification"): feed
/// it bytes as they arrive, take complete values with `next()`.
///
/// It never re-parses: a header line is consumed as soon as it is complete and aggregates are
/// built on an explicit stack, so a reply of a million elements arriving in 1-byte pieces costs
/// the same as arriving at once, and deep nesting never recurses. Every size is limited before
/// anything is buffered for it (a `$` length past `maxBulkLength`, a `*` count past
/// `maxElements`, nesting past `maxDepth`, a line past `maxLineLength`); an error is final.
public struct RESPDecoder: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Longest bulk string accepted (Redis's own `proto-max-bulk-len` default is 512 MiB).
        public var maxBulkLength = 64 * 1024 * 1024
        /// Most elements one array, set, push or map (counted as keys plus values) may declare.
        public var maxElements = 1 << 20
        /// Deepest nesting of aggregates.
        public var maxDepth = 32
        /// Longest header or simple line (`+…`, `-…`, `:…`, lengths), CRLF excluded.
        public var maxLineLength = 64 * 1024

        public init() {}
    }

    private enum Aggregate {
        case array, map, push

        func make(_ values: [RedisValue]) -> RedisValue {
            switch self {
            case .array: .array(values)
            case .map: .map(values)
            case .push: .push(values)
            }
        }
    }

    private struct Frame {
        let kind: Aggregate
        var remaining: Int
        var values: [RedisValue]
    }

    private enum BulkKind {
        case string, verbatim, error
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var offset = 0
    private var stack: [Frame] = []
    private var pendingBulk: (kind: BulkKind, length: Int)?
    private var failure: RESPProtocolError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed (at most one line or one bulk payload's worth).
    public var bufferedByteCount: Int { buffer.count - offset }

    /// True between values: nothing partial is buffered or on the stack.
    public var isAtBoundary: Bool { bufferedByteCount == 0 && stack.isEmpty && pendingBulk == nil }

    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete top-level value, nil when more bytes are needed.
    public mutating func next() throws(RESPProtocolError) -> RedisValue? {
        if let failure { throw failure }
        do {
            let value = try decode()
            compact()
            return value
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func decode() throws(RESPProtocolError) -> RedisValue? {
        while true {
            if let bulk = pendingBulk {
                guard buffer.count - offset >= bulk.length + 2 else { return nil }
                let end = offset + bulk.length
                guard buffer[end] == 0x0D, buffer[end + 1] == 0x0A else {
                    throw .malformed("a bulk string not followed by CRLF")
                }
                var payload = Array(buffer[offset..<end])
                offset = end + 2
                pendingBulk = nil
                let value: RedisValue
                switch bulk.kind {
                case .string: value = .bulkString(payload)
                case .verbatim:
                    // "txt:" or "mkd:" before the text (RESP3 verbatim string).
                    guard payload.count >= 4, payload[3] == UInt8(ascii: ":") else {
                        throw .malformed("a verbatim string without its format prefix")
                    }
                    payload.removeFirst(4)
                    value = .bulkString(payload)
                case .error: value = .error(String(decoding: payload, as: UTF8.self))
                }
                if let done = complete(value) { return done }
                continue
            }
            guard let line = try takeLine() else { return nil }
            let type = buffer[line.lowerBound - 1]
            let text = buffer[line]
            let scalar: RedisValue
            switch type {
            case UInt8(ascii: "+"): scalar = .simpleString(String(decoding: text, as: UTF8.self))
            case UInt8(ascii: "-"): scalar = .error(String(decoding: text, as: UTF8.self))
            case UInt8(ascii: ":"): scalar = .integer(try Self.number(text))
            case UInt8(ascii: "$"), UInt8(ascii: "="), UInt8(ascii: "!"):
                let length = try Self.number(text)
                if length == -1 && type == UInt8(ascii: "$") {
                    scalar = .null
                    break
                }
                guard length >= 0 else { throw .badNumber }
                guard length <= limits.maxBulkLength else {
                    throw .bulkTooLong(length: length, limit: limits.maxBulkLength)
                }
                let kind: BulkKind =
                    switch type {
                    case UInt8(ascii: "$"): .string
                    case UInt8(ascii: "="): .verbatim
                    default: .error
                    }
                pendingBulk = (kind, Int(length))
                continue
            case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
                let count = try Self.number(text)
                if count == -1 && type == UInt8(ascii: "*") {
                    scalar = .null
                    break
                }
                guard count >= 0 else { throw .badNumber }
                let isMap = type == UInt8(ascii: "%")
                guard count <= limits.maxElements / (isMap ? 2 : 1) else {
                    throw .tooManyElements(count: isMap ? count * 2 : count, limit: limits.maxElements)
                }
                let kind: Aggregate =
                    switch type {
                    case UInt8(ascii: "%"): .map
                    case UInt8(ascii: ">"): .push
                    default: .array
                    }
                let elements = Int(count) * (isMap ? 2 : 1)
                if elements == 0 {
                    scalar = kind.make([])
                    break
                }
                guard stack.count < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
                var values: [RedisValue] = []
                values.reserveCapacity(min(elements, 64))
                stack.append(Frame(kind: kind, remaining: elements, values: values))
                continue
            case UInt8(ascii: "_"):
                guard text.isEmpty else { throw .malformed("a null with a payload") }
                scalar = .null
            case UInt8(ascii: "#"):
                guard text.count == 1, text.first == UInt8(ascii: "t") || text.first == UInt8(ascii: "f")
                else {
                    throw .malformed("a boolean other than t or f")
                }
                scalar = .boolean(text.first == UInt8(ascii: "t"))
            case UInt8(ascii: ","), UInt8(ascii: "("):
                guard !text.isEmpty else { throw .malformed("an empty number") }
                scalar = .number(String(decoding: text, as: UTF8.self))
            default:
                throw .unknownType(type)
            }
            if let done = complete(scalar) { return done }
        }
    }

    /// Adds a finished value to the aggregate being built; returns it when it is top-level.
    private mutating func complete(_ finished: RedisValue) -> RedisValue? {
        var value = finished
        while !stack.isEmpty {
            let top = stack.count - 1
            stack[top].values.append(value)
            stack[top].remaining -= 1
            guard stack[top].remaining == 0 else { return nil }
            let frame = stack.removeLast()
            value = frame.kind.make(frame.values)
        }
        return value
    }

    /// The next line after its type byte (CRLF excluded) and consumes it; nil if incomplete.
    private mutating func takeLine() throws(RESPProtocolError) -> Range<Int>? {
        let available = buffer.count - offset
        guard available > 0 else { return nil }
        let scanEnd = min(buffer.count, offset + 1 + limits.maxLineLength + 2)
        var i = offset + 1
        while i < scanEnd {
            let byte = buffer[i]
            if byte == 0x0A {
                guard i > offset + 1, buffer[i - 1] == 0x0D else {
                    throw .malformed("a line ending in LF alone")
                }
                let line = (offset + 1)..<(i - 1)
                offset = i + 1
                return line
            }
            if byte == 0x0D && i + 1 < buffer.count && buffer[i + 1] != 0x0A {
                throw .malformed("a CR inside a line")
            }
            i += 1
        }
        if scanEnd - offset >= 1 + limits.maxLineLength + 2 {
            throw .lineTooLong(limit: limits.maxLineLength)
        }
        return nil
    }

    /// A decimal integer ("-" allowed), refusing empty text, other bytes and overflow.
    private static func number(_ text: ArraySlice<UInt8>) throws(RESPProtocolError) -> Int64 {
        var digits = text[...]
        var negative = false
        if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.count <= 19 else { throw .badNumber }
        var value: Int64 = 0
        for byte in digits {
            guard byte >= 0x30, byte <= 0x39 else { throw .badNumber }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(byte - 0x30))
            guard !o1, !o2 else { throw .badNumber }
            value = sum
        }
        return negative ? -value : value
    }

    private mutating func compact() {
        if offset == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            offset = 0
        } else if offset >= 64 * 1024 && offset * 2 >= buffer.count {
            buffer.removeSubrange(0..<offset)
            offset = 0
        }
    }
}
