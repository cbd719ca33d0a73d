/// Appending text to byte buffers on the request path (response heads, access-log lines).
///
/// `append(contentsOf: text.utf8)` goes through the generic sequence copy: about 10 ns for a
/// literal and 80 ns for a `Substring` in a release build, against 5–20 ns through the
/// contiguous bytes. A request writes a dozen such pieces (benchmarks/perf.md, seventh pass).
extension Array where Element == UInt8 {
    /// Appends a literal's UTF-8 bytes.
    public mutating func append(literal: StaticString) {
        literal.withUTF8Buffer { append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes.
    public mutating func append(utf8 text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) == nil {
            append(contentsOf: text.utf8)
        }
    }

    /// Appends a substring's UTF-8 bytes.
    public mutating func append(utf8 text: Substring) {
        if text.utf8.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) == nil {
            append(contentsOf: text.utf8)
        }
    }

    /// Appends `value` in decimal ASCII (a leading `-` when negative) without building a
    /// `String`: response heads and access-log lines write a few numbers per request.
    public mutating func appendDecimal(_ value: Int) {
        forEachDecimalByte(of: value) { append($0) }
    }
}

/// Calls `body` with each byte of `value` in decimal ASCII, most significant first (a leading
/// `-` when negative; at most 20 bytes): the one digit loop behind `[UInt8].appendDecimal` and
/// the access log's `ByteCursor.writeDecimal`. Inlinable so each writer's loop is compiled
/// around its own store.
@inlinable
public func forEachDecimalByte(of value: Int, _ body: (UInt8) -> Void) {
    if value < 0 { body(UInt8(ascii: "-")) }
    let magnitude = value.magnitude
    var divisor: UInt = 1
    while divisor <= magnitude / 10 { divisor *= 10 }
    var rest = magnitude
    repeat {
        body(UInt8(ascii: "0") + UInt8(rest / divisor))
        rest %= divisor
        divisor /= 10
    } while divisor > 0
}
