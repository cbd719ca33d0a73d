/// The on-disk form of one journal record: a single line
///
///     <crc32: 8 lowercase hex digits> <sequence> <batch first> <batch last> <record bytes>\n
///
/// The CRC-32 covers everything after its own separating space up to (not including) the
/// newline, so a damaged sequence number is caught as surely as a damaged payload. Records may not
/// contain a newline byte (rejected at `enqueue`), which keeps the file greppable JSON-per-line.
///
/// `batch first`/`batch last` are the sequence numbers of the first and last record written by the
/// same `write` + `fdatasync`. Recovery uses them to tell a crash-torn final batch (none of it was
/// acknowledged) from damage to acknowledged data: see `JournalScan`.
enum JournalLine {
    /// Bytes of framing around a payload, at most (8 + 4 spaces + three 20-digit numbers + newline).
    static let maxOverhead = 8 + 4 + 3 * 20 + 1

    static func append(
        sequence: UInt64, batchFirst: UInt64, batchLast: UInt64, payload: [UInt8], to out: inout [UInt8]
    ) {
        let crcAt = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 8))
        out.append(UInt8(ascii: " "))
        let bodyStart = out.count
        appendDecimal(sequence, to: &out)
        out.append(UInt8(ascii: " "))
        appendDecimal(batchFirst, to: &out)
        out.append(UInt8(ascii: " "))
        appendDecimal(batchLast, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: payload)
        let crc = CRC32.checksum(out[bodyStart...])
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for i in 0..<8 { out[crcAt + i] = hex[Int((crc >> UInt32(28 - 4 * i)) & 0xF)] }
        out.append(UInt8(ascii: "\n"))
    }

    struct Parsed: Equatable {
        var sequence: UInt64
        var batchFirst: UInt64
        var batchLast: UInt64
        var payload: Range<Int>
        /// The last record of its batch: the batch is complete once this line is read.
        var closesBatch: Bool { sequence == batchLast }
    }

    /// Parses the line `bytes[start..<end]` (newline excluded); nil with a reason when it is not a
    /// well-formed line with a matching checksum.
    static func parse(_ bytes: UnsafeRawBufferPointer, start: Int, end: Int) -> Result<Parsed, Invalid> {
        guard end - start >= 8 + 1 + 3 * 2, bytes[start + 8] == UInt8(ascii: " ") else {
            return .failure(.malformed)
        }
        var stored: UInt32 = 0
        for i in 0..<8 {
            guard let v = hexValue(bytes[start + i]) else { return .failure(.malformed) }
            stored = stored << 4 | UInt32(v)
        }
        let bodyStart = start + 9
        let crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<end]))
        guard crc == stored else { return .failure(.checksumMismatch) }
        var at = bodyStart
        guard let sequence = parseDecimal(bytes, &at, end), let batchFirst = parseDecimal(bytes, &at, end),
            let batchLast = parseDecimal(bytes, &at, end), batchFirst >= 1, batchFirst <= sequence,
            sequence <= batchLast
        else { return .failure(.malformed) }
        return .success(
            Parsed(sequence: sequence, batchFirst: batchFirst, batchLast: batchLast, payload: at..<end))
    }

    enum Invalid: Error, Equatable, CustomStringConvertible {
        case malformed, checksumMismatch, incomplete
        var description: String {
            switch self {
            case .malformed: "malformed journal line"
            case .checksumMismatch: "checksum mismatch"
            case .incomplete: "line without its newline"
            }
        }
    }

    /// Reads digits up to a space (consumed); nil on anything else or overflow.
    private static func parseDecimal(_ bytes: UnsafeRawBufferPointer, _ at: inout Int, _ end: Int) -> UInt64?
    {
        var value: UInt64 = 0
        let first = at
        while at < end, bytes[at] != UInt8(ascii: " ") {
            let d = bytes[at] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            guard !o1, !o2 else { return nil }
            value = a
            at += 1
        }
        guard at > first, at < end else { return nil }
        at += 1
        return value
    }

    private static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var v = value
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        out.append(contentsOf: digits.reversed())
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
