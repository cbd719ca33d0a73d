import WireProtocol

/// Writes bytes through a pointer into memory sized beforehand, for the access log: packing a
/// request's record on its I/O loop and formatting a batch of lines when it is written were
/// some 25 `Array.append` calls a line, each checking uniqueness and capacity (benchmarks/perf.md,
/// eleventh pass). The caller sizes the memory from an upper bound; every write checks the
/// bound, so a wrong bound stops the process instead of writing past the memory.
struct ByteCursor {
    private let start: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>
    private var position: UnsafeMutablePointer<UInt8>

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        // An empty buffer's base address may be nil; a dangling one-byte allocation stands in.
        let base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!
        start = base
        end = base + buffer.count
        position = base
    }

    /// Bytes written so far.
    var count: Int { position - start }

    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        precondition(end - position >= n, "ByteCursor: write past the sized memory")
        defer { position += n }
        return position
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        reserve(1).initialize(to: byte)
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count).initialize(from: base, count: bytes.count)
    }

    @inline(__always)
    mutating func write(_ literal: StaticString) {
        literal.withUTF8Buffer { write($0) }
    }

    /// Writes `value`'s bytes, little-endian (a record's words and lengths).
    @inline(__always)
    mutating func write(littleEndian value: some FixedWidthInteger) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            write(raw.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// `value` in decimal ASCII, as `[UInt8].appendDecimal` writes it: at most 20 bytes.
    mutating func writeDecimal(_ value: Int) {
        forEachDecimalByte(of: value) { write($0) }
    }

    /// The UTF-8 text `bytes` as a JSON string literal, quoted and escaped as
    /// `JSONValue.writeString(utf8:to:)` writes it (RFC 8259 §7). At most `6 * bytes.count + 2`.
    mutating func writeJSONString(_ bytes: UnsafeBufferPointer<UInt8>) {
        write(UInt8(ascii: "\""))
        var run = 0
        for i in bytes.indices {
            let b = bytes[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            write(UnsafeBufferPointer(rebasing: bytes[run..<i]))
            write(UInt8(ascii: "\\"))
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): write(b)
            case 0x0A: write(UInt8(ascii: "n"))
            case 0x0D: write(UInt8(ascii: "r"))
            case 0x09: write(UInt8(ascii: "t"))
            default:
                write("u00")
                write(Self.hexDigits[Int(b >> 4)])
                write(Self.hexDigits[Int(b & 0xF)])
            }
            run = i + 1
        }
        write(UnsafeBufferPointer(rebasing: bytes[run...]))
        write(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
