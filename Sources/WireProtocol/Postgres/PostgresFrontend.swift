/// Encodes messages from the client (PostgreSQL protocol v3). Each function appends one message
/// to `out`, so a request's messages are built into one buffer and written with one system call.
///
/// Strings are sent NUL-terminated, so the caller must reject NUL bytes inside them first
/// (`PostgresFrontend.containsNUL`); parameter values are length-prefixed and may hold any byte.
public enum PostgresFrontend {
    /// Protocol 3.0: the version whose BackendKeyData has a 4-byte key.
    static let protocolVersion: Int32 = 3 << 16
    static let sslRequestCode: Int32 = 80_877_103
    static let cancelRequestCode: Int32 = 80_877_102

    public enum DescribeTarget: UInt8, Sendable {
        case statement = 0x53  // 'S'
        case portal = 0x50  // 'P'
    }

    public static func containsNUL(_ text: String) -> Bool { text.utf8.contains(0) }

    /// StartupMessage: no type byte; protocol version, then name/value pairs and a final NUL.
    public static func startup(parameters: [(String, String)], into out: inout [UInt8]) {
        let at = beginUntyped(&out)
        appendInt32(protocolVersion, &out)
        for (name, value) in parameters {
            appendCString(name, &out)
            appendCString(value, &out)
        }
        out.append(0)
        finish(at, &out)
    }

    public static func sslRequest(into out: inout [UInt8]) {
        appendInt32(8, &out)
        appendInt32(sslRequestCode, &out)
    }

    public static func cancelRequest(processID: Int32, secretKey: Int32, into out: inout [UInt8]) {
        appendInt32(16, &out)
        appendInt32(cancelRequestCode, &out)
        appendInt32(processID, &out)
        appendInt32(secretKey, &out)
    }

    /// PasswordMessage: a cleartext or md5 password.
    public static func password(_ password: String, into out: inout [UInt8]) {
        let at = begin("p", &out)
        appendCString(password, &out)
        finish(at, &out)
    }

    public static func saslInitialResponse(mechanism: String, data: [UInt8], into out: inout [UInt8]) {
        let at = begin("p", &out)
        appendCString(mechanism, &out)
        appendInt32(Int32(data.count), &out)
        out.append(contentsOf: data)
        finish(at, &out)
    }

    public static func saslResponse(_ data: [UInt8], into out: inout [UInt8]) {
        let at = begin("p", &out)
        out.append(contentsOf: data)
        finish(at, &out)
    }

    public static func parse(
        statement: String, sql: String, parameterTypes: [UInt32], into out: inout [UInt8]
    ) {
        let at = begin("P", &out)
        appendCString(statement, &out)
        appendCString(sql, &out)
        appendInt16(Int16(truncatingIfNeeded: parameterTypes.count), &out)
        for oid in parameterTypes { appendInt32(Int32(bitPattern: oid), &out) }
        finish(at, &out)
    }

    /// Bind: parameter values with one format code each (0 text, 1 binary), and one result format
    /// code for all columns.
    public static func bind(
        portal: String, statement: String, parameterFormats: [Int16], parameters: [[UInt8]?],
        resultFormat: Int16, into out: inout [UInt8]
    ) {
        let at = begin("B", &out)
        appendCString(portal, &out)
        appendCString(statement, &out)
        appendInt16(Int16(truncatingIfNeeded: parameterFormats.count), &out)
        for format in parameterFormats { appendInt16(format, &out) }
        appendInt16(Int16(truncatingIfNeeded: parameters.count), &out)
        for value in parameters {
            if let value {
                appendInt32(Int32(truncatingIfNeeded: value.count), &out)
                out.append(contentsOf: value)
            } else {
                appendInt32(-1, &out)
            }
        }
        appendInt16(1, &out)
        appendInt16(resultFormat, &out)
        finish(at, &out)
    }

    public static func describe(_ target: DescribeTarget, name: String, into out: inout [UInt8]) {
        let at = begin("D", &out)
        out.append(target.rawValue)
        appendCString(name, &out)
        finish(at, &out)
    }

    /// Execute a portal; `maxRows` 0 means all rows.
    public static func execute(portal: String, maxRows: Int32 = 0, into out: inout [UInt8]) {
        let at = begin("E", &out)
        appendCString(portal, &out)
        appendInt32(maxRows, &out)
        finish(at, &out)
    }

    public static func close(_ target: DescribeTarget, name: String, into out: inout [UInt8]) {
        let at = begin("C", &out)
        out.append(target.rawValue)
        appendCString(name, &out)
        finish(at, &out)
    }

    public static func sync(into out: inout [UInt8]) { out.append(contentsOf: [0x53, 0, 0, 0, 4]) }

    public static func flush(into out: inout [UInt8]) { out.append(contentsOf: [0x48, 0, 0, 0, 4]) }

    public static func terminate(into out: inout [UInt8]) { out.append(contentsOf: [0x58, 0, 0, 0, 4]) }

    /// Query: the simple query protocol (several statements separated by semicolons allowed).
    public static func query(_ sql: String, into out: inout [UInt8]) {
        let at = begin("Q", &out)
        appendCString(sql, &out)
        finish(at, &out)
    }

    // MARK: framing

    private static func begin(_ type: Unicode.Scalar, _ out: inout [UInt8]) -> Int {
        out.append(UInt8(type.value))
        return beginUntyped(&out)
    }

    private static func beginUntyped(_ out: inout [UInt8]) -> Int {
        let at = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        return at
    }

    /// Writes the length (which counts itself, not the type byte) at `at`.
    private static func finish(_ at: Int, _ out: inout [UInt8]) {
        let length = UInt32(truncatingIfNeeded: out.count - at)
        out[at] = UInt8(length >> 24)
        out[at + 1] = UInt8(length >> 16 & 0xFF)
        out[at + 2] = UInt8(length >> 8 & 0xFF)
        out[at + 3] = UInt8(length & 0xFF)
    }

    static func appendInt16(_ value: Int16, _ out: inout [UInt8]) {
        let v = UInt16(bitPattern: value)
        out.append(UInt8(v >> 8))
        out.append(UInt8(v & 0xFF))
    }

    static func appendInt32(_ value: Int32, _ out: inout [UInt8]) {
        let v = UInt32(bitPattern: value)
        out.append(UInt8(v >> 24))
        out.append(UInt8(v >> 16 & 0xFF))
        out.append(UInt8(v >> 8 & 0xFF))
        out.append(UInt8(v & 0xFF))
    }

    static func appendCString(_ text: String, _ out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
        out.append(0)
    }
}
