import FoundationEssentials

/// Parsing JSON text into `JSONValue` with a strict byte-level parser.
///
/// The parser works over the raw bytes with an index (no `String` splitting, no Codable): a
/// 400 KB diagram is parsed on the request path, and JSONDecoder runs at only 5-15 MB/s there.
/// It accepts exactly the grammar of RFC 8259 and nothing else:
/// - no trailing commas, no comments, no leading zeros, no `NaN`/`Infinity`, no single quotes;
/// - strings must be valid UTF-8 (RFC 8259 §8.1) and escapes must be the ones of §7, with
///   UTF-16 surrogate pairs combined and lone surrogates rejected;
/// - nesting deeper than `maxDepth` is rejected rather than exhausting the stack (§9 allows limits);
/// - numbers that do not fit a finite `Double` are rejected (§6 allows limits on range);
/// - a duplicate object key keeps the last value (§4 leaves it to the implementation).
///
/// Every error names what was wrong and the byte offset where it was found.
extension JSONValue {
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// A human-readable message that ends with the byte offset of the problem.
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let message): message
            }
        }
    }

    /// The deepest nesting of arrays and objects accepted from a client.
    public static let maxParseDepth = 128
    /// The deepest nesting accepted when reading back what the server itself stored (snapshots,
    /// journal records, database rows, dumps). Stored documents wrap client values a few levels
    /// deeper (model → diagram → cells → cell), so a value accepted at `maxParseDepth` must still
    /// load after a restart; the margin is far more than any wrapper adds.
    public static let maxStoredDepth = maxParseDepth + 32

    public static func parse(_ bytes: [UInt8], maxDepth: Int = maxParseDepth) throws(ParseError) -> JSONValue
    {
        try bytes.withUnsafeBufferPointer { parse(buffer: $0, maxDepth: maxDepth) }.get()
    }

    public static func parse(_ text: String, maxDepth: Int = maxParseDepth) throws(ParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { parse(buffer: $0, maxDepth: maxDepth) }.get()
    }

    static func parse(
        buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int = maxParseDepth
    ) -> Result<JSONValue, ParseError> {
        var parser = JSONByteParser(buffer, maxDepth: maxDepth)
        do throws(ParseError) {
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }
}

/// The recursive-descent parser. It lives only for one `parse` call, inside the buffer's scope.
struct JSONByteParser {
    typealias ParseError = JSONValue.ParseError

    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    let maxDepth: Int
    /// Reused for strings that contain escapes.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = JSONValue.maxParseDepth) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ what: String, at offset: Int? = nil) -> ParseError {
        .invalid("\(what) at byte \(offset ?? index)")
    }

    mutating func parseDocument() throws(ParseError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            // RFC 8259 §8.1: senders MUST NOT add a byte order mark.
            throw error("byte order mark is not allowed", at: 0)
        }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index < bytes.count {
            throw error("unexpected \(describe(bytes[index])) after the top-level value")
        }
        return value
    }

    /// RFC 8259 §2: insignificant whitespace is space, tab, line feed and carriage return only.
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(ParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case let b:
            throw error("unexpected \(describe(b)), expected a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(ParseError) {
        let start = index
        let count = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        guard bytes.count - index >= count else { throw error("invalid literal", at: start) }
        for i in 0..<count where bytes[index + i] != text[i] {
            throw error("invalid literal", at: start)
        }
        index += count
    }

    mutating func enterContainer() throws(ParseError) {
        depth += 1
        if depth > maxDepth {
            throw error("nesting deeper than \(maxDepth) levels")
        }
    }

    mutating func parseObject() throws(ParseError) -> JSONValue {
        try enterContainer()
        index += 1  // "{"
        var object: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                // Also catches a trailing comma: `{"a":1,}`.
                throw error("unexpected \(describe(bytes[index])), expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            guard bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describe(bytes[index])), expected ':'")
            }
            index += 1
            skipWhitespace()
            object[key] = try parseValue()  // duplicate keys: the last one wins
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                return .object(object)
            case let b:
                throw error("unexpected \(describe(b)), expected ',' or '}'")
            }
        }
    }

    mutating func parseArray() throws(ParseError) -> JSONValue {
        try enterContainer()
        index += 1  // "["
        var array: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                throw error("trailing comma in array")
            }
            array.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(array)
            case let b:
                throw error("unexpected \(describe(b)), expected ',' or ']'")
            }
        }
    }

    /// A readable name for a byte in error messages.
    func describe(_ b: UInt8) -> String {
        if b >= 0x21, b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16, uppercase: true))"
    }
}

// MARK: - Strings

extension JSONByteParser {
    /// Parses a string starting at its opening quote. Strings without escapes (the common case)
    /// are validated in place and decoded once; escapes switch to a scratch buffer.
    mutating func parseString() throws(ParseError) -> String {
        let open = index
        index += 1
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("unescaped control character \(describe(b)) in string") }
            if b < 0x80 { index += 1 } else { try skipUTF8Sequence() }
        }
        guard index < bytes.count else { throw error("unterminated string", at: open) }

        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw error("unescaped control character \(describe(b)) in string")
            case 0x20..<0x80:
                scratch.append(b)
                index += 1
            default:
                let s = index
                try skipUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[s..<index]))
            }
        }
        throw error("unterminated string", at: open)
    }

    /// RFC 8259 §7: the two-character escapes and `\uXXXX`; a UTF-16 surrogate pair written as two
    /// `\u` escapes is one character, and a lone surrogate is not a character at all.
    mutating func parseEscape() throws(ParseError) {
        let start = index
        guard index + 1 < bytes.count else { throw error("unterminated escape sequence", at: start) }
        let c = bytes[index + 1]
        index += 2
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4(escapeStart: start)
            if scalar >= 0xD800, scalar <= 0xDBFF {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                else { throw error("unpaired high surrogate in \\u escape", at: start) }
                let lowStart = index
                index += 2
                let low = try parseHex4(escapeStart: lowStart)
                guard low >= 0xDC00, low <= 0xDFFF else {
                    throw error("high surrogate not followed by a low surrogate", at: lowStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00, scalar <= 0xDFFF {
                throw error("unpaired low surrogate in \\u escape", at: start)
            }
            appendUTF8(scalar)
        default:
            throw error("invalid escape sequence", at: start)
        }
    }

    mutating func parseHex4(escapeStart: Int) throws(ParseError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("truncated \\u escape", at: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw error("invalid hex digit in \\u escape", at: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Validates one multi-byte UTF-8 sequence at `index` and steps over it (Unicode 15 §3.9,
    /// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF).
    mutating func skipUTF8Sequence() throws(ParseError) {
        let lead = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, low) = (3, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, high) = (3, 0x9F)
        case 0xF0: (length, low) = (4, 0x90)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, high) = (4, 0x8F)
        default: throw error("invalid UTF-8 lead byte 0x\(String(lead, radix: 16, uppercase: true))")
        }
        guard bytes.count - index >= length else { throw error("truncated UTF-8 sequence") }
        let second = bytes[index + 1]
        guard second >= low, second <= high else { throw error("invalid UTF-8 sequence") }
        for i in 2..<length where bytes[index + i] & 0xC0 != 0x80 {
            throw error("invalid UTF-8 sequence")
        }
        index += length
    }
}

// MARK: - Numbers

extension JSONByteParser {
    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func parseNumber() throws(ParseError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw error("a number needs a digit after '-'", at: start)
        }
        var integer: Int64 = 0
        var digits = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw error("leading zeros are not allowed", at: start)
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                if digits < 18 { integer = integer * 10 + Int64(bytes[index] - UInt8(ascii: "0")) }
                digits += 1
                index += 1
            }
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error("a fraction needs a digit after '.'")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw error("an exponent needs a digit")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Integers of up to 15 digits are exact in a Double: convert without a round trip
        // through text. Everything else goes through the correctly rounding library parser.
        if isInteger, digits <= 15 {
            return negative ? -Double(integer) : Double(integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw error("number out of range", at: start)
        }
        return value
    }

    @inline(__always) func isDigit(_ b: UInt8) -> Bool {
        b &- UInt8(ascii: "0") < 10
    }
}
