import CollabCore
import FoundationEssentials
import WireProtocol

/// Access-log entries packed as bytes, one after another in one buffer: how `StandardErrorSink`
/// holds the entries of a batch until its writer thread formats them, and the one place the
/// access line is formatted (`AccessLogEntry.append(to:timestamps:)` goes through it too).
///
/// A batch used to be an array of `AccessLogEntry` values: each entry's five strings were
/// retained on the I/O loop, then copied, released and finally freed on the writer thread,
/// reference counts and allocator state moving between cores for every request (about a tenth
/// of the gateway's CPU in `tmi-gatewaybench`'s profile, benchmarks/perf.md). Packing copies the
/// bytes (~100) under the sink's lock instead; the request's strings stay on their loop.
///
/// A record: `offset`, `time` (bit pattern of `timeIntervalSince1970`), `status`, `nanoseconds`,
/// `bytes`, as 8 bytes each; then method, path, request id, peer and user id, each a 4-byte
/// length and its UTF-8 bytes (`UInt32.max` for no user). Only the target's path is kept: the
/// query may carry tokens and is never logged.
enum AccessLogRecord {
    static let noUser = UInt32.max
    /// The bytes of a record besides its texts' (five words, five lengths).
    static let fixedSize = 5 * 8 + 5 * 4

    /// Packs `entry`, to be written after the first `offset` bytes of the batch's plain lines.
    static func append(_ entry: AccessLogEntry, offset: Int, to records: inout [UInt8]) {
        appendInteger(UInt64(offset), to: &records)
        appendInteger(entry.time.timeIntervalSince1970.bitPattern, to: &records)
        appendInteger(UInt64(bitPattern: Int64(entry.status)), to: &records)
        appendInteger(entry.nanoseconds, to: &records)
        appendInteger(UInt64(bitPattern: Int64(entry.bytes)), to: &records)
        appendText(entry.method[...], to: &records)
        appendText(HTTPRequest.path(ofTarget: entry.target), to: &records)
        appendText(entry.requestID[...], to: &records)
        appendText(entry.peer[...], to: &records)
        if let user = entry.userID {
            appendText(user[...], to: &records)
        } else {
            appendInteger(noUser, to: &records)
        }
    }

    /// Writes the batch: the plain `lines` with each record's line at its offset, in order.
    static func format(
        _ records: [UInt8], between lines: [UInt8], into out: inout [UInt8],
        timestamps: MillisecondTimestampCache
    ) {
        var copied = 0
        records.withUnsafeBytes { raw in
            var reader = Reader(raw: raw)
            while !reader.isAtEnd {
                let offset = min(max(Int(reader.word()), copied), lines.count)
                out.append(contentsOf: lines[copied..<offset])
                copied = offset
                formatOne(&reader, into: &out, timestamps: timestamps)
            }
        }
        out.append(contentsOf: lines[copied...])
    }

    /// The line of the record at `reader`, byte for byte what `Logger.log(.info, "request", ...)`
    /// writes for the same fields (`LoggerTests`).
    private static func formatOne(
        _ reader: inout Reader, into out: inout [UInt8], timestamps: MillisecondTimestampCache
    ) {
        let time = Date(timeIntervalSince1970: Double(bitPattern: reader.word()))
        let status = Int(Int64(bitPattern: reader.word()))
        let nanoseconds = reader.word()
        let bytes = Int(Int64(bitPattern: reader.word()))
        out.append(literal: #"{"ts":""#)
        timestamps.append(time, to: &out)
        out.append(literal: #"","level":"info","msg":"request","method":"#)
        JSONValue.writeString(utf8: reader.text(), to: &out)
        out.append(literal: #","path":"#)
        JSONValue.writeString(utf8: reader.text(), to: &out)
        out.append(literal: #","status":"#)
        out.appendDecimal(status)
        out.append(literal: #","duration_ms":"#)
        AccessLogEntry.appendMilliseconds(nanoseconds, to: &out)
        out.append(literal: #","bytes":"#)
        out.appendDecimal(bytes)
        out.append(literal: #","request_id":"#)
        JSONValue.writeString(utf8: reader.text(), to: &out)
        out.append(literal: #","peer":"#)
        JSONValue.writeString(utf8: reader.text(), to: &out)
        if let user = reader.optionalText() {
            out.append(literal: #","user_id":"#)
            JSONValue.writeString(utf8: user, to: &out)
        }
        out.append(literal: "}\n")
    }

    /// A word (8 bytes) or a length (4 bytes), little-endian.
    private static func appendInteger(_ value: some FixedWidthInteger, to records: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { records.append(contentsOf: $0) }
    }

    private static func appendText(_ text: Substring, to records: inout [UInt8]) {
        appendInteger(UInt32(clamping: text.utf8.count), to: &records)
        records.append(utf8: text)
    }

    /// Reads a buffer written by `append`, front to back. Only this file writes such buffers,
    /// so their layout is trusted; a length past the end still reads no further than the end.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var position = 0

        var isAtEnd: Bool { position >= raw.count }

        mutating func word() -> UInt64 {
            guard position + 8 <= raw.count else {
                position = raw.count
                return 0
            }
            defer { position += 8 }
            return UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
        }

        /// The next text's bytes (empty for an absent one).
        mutating func text() -> UnsafeBufferPointer<UInt8> {
            optionalText() ?? UnsafeBufferPointer(start: nil, count: 0)
        }

        /// The next text's bytes; nil when it was written as absent (the user of an anonymous
        /// request).
        mutating func optionalText() -> UnsafeBufferPointer<UInt8>? {
            guard position + 4 <= raw.count else {
                position = raw.count
                return UnsafeBufferPointer(start: nil, count: 0)
            }
            let length = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self))
            position += 4
            if length == AccessLogRecord.noUser { return nil }
            let count = min(Int(length), raw.count - position)
            defer { position += count }
            // The buffer is a `[UInt8]`'s storage: its memory is bound to `UInt8`.
            return UnsafeRawBufferPointer(rebasing: raw[position..<position + count]).assumingMemoryBound(
                to: UInt8.self)
        }
    }
}
