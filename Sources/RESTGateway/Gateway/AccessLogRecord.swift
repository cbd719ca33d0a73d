import CollabCore
import FoundationEssentials
import WireProtocol

/// Access-log entries packed as bytes, one after another in one buffer: how `StandardErrorSink`
/// holds the entries of a batch until it writes the batch, formatting them, and the one place
/// the access line is formatted (`AccessLogEntry.append(to:timestamps:)` goes through it too).
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
    /// The most bytes a line takes besides its texts (each escaped to at most 6 bytes a byte):
    /// the field names and quotes (about 140), the timestamp (24, at most
    /// `MillisecondTimestampCache.maximumLength`), three numbers (at most 20 digits each) and
    /// the duration (at most 25).
    static let lineOverhead = 320

    /// Packs `entry`, to be written after the first `offset` bytes of the batch's plain lines.
    static func append(_ entry: AccessLogEntry, offset: Int, to records: inout [UInt8]) {
        let path = HTTPRequest.path(ofTarget: entry.target)
        var size = fixedSize + entry.method.utf8.count + path.utf8.count + entry.requestID.utf8.count
        size += entry.peer.utf8.count + (entry.userID?.utf8.count ?? 0)
        let start = records.count
        records.append(contentsOf: repeatElement(0, count: size))
        records.withUnsafeMutableBufferPointer { buffer in
            var out = ByteCursor(UnsafeMutableBufferPointer(rebasing: buffer[start...]))
            out.write(littleEndian: UInt64(offset))
            out.write(littleEndian: entry.time.timeIntervalSince1970.bitPattern)
            out.write(littleEndian: UInt64(bitPattern: Int64(entry.status)))
            out.write(littleEndian: entry.nanoseconds)
            out.write(littleEndian: UInt64(bitPattern: Int64(entry.bytes)))
            writeText(entry.method[...], to: &out)
            writeText(path, to: &out)
            writeText(entry.requestID[...], to: &out)
            writeText(entry.peer[...], to: &out)
            if let user = entry.userID {
                writeText(user[...], to: &out)
            } else {
                out.write(littleEndian: noUser)
            }
        }
    }

    /// The batch as it is written: the plain `lines` with each record's line at its offset, in
    /// order. Sized in a first pass over the records, then written through one cursor.
    static func format(_ records: [UInt8], between lines: [UInt8], timestamps: MillisecondTimestampCache)
        -> [UInt8]
    {
        records.withUnsafeBytes { raw in
            var bound = lines.count
            var sizing = Reader(raw: raw)
            while !sizing.isAtEnd { bound += sizing.skipRecord() }
            return [UInt8](unsafeUninitializedCapacity: bound) { buffer, initialized in
                var out = ByteCursor(buffer)
                var reader = Reader(raw: raw)
                var copied = 0
                lines.withUnsafeBufferPointer { lines in
                    while !reader.isAtEnd {
                        let offset = min(max(Int(reader.word()), copied), lines.count)
                        out.write(UnsafeBufferPointer(rebasing: lines[copied..<offset]))
                        copied = offset
                        formatOne(&reader, into: &out, timestamps: timestamps)
                    }
                    out.write(UnsafeBufferPointer(rebasing: lines[copied...]))
                }
                initialized = out.count
            }
        }
    }

    /// The line of the record at `reader`, byte for byte what `Logger.log(.info, "request", ...)`
    /// writes for the same fields (`LoggerTests`).
    private static func formatOne(
        _ reader: inout Reader, into out: inout ByteCursor, timestamps: MillisecondTimestampCache
    ) {
        let time = Date(timeIntervalSince1970: Double(bitPattern: reader.word()))
        let status = Int(Int64(bitPattern: reader.word()))
        let nanoseconds = reader.word()
        let bytes = Int(Int64(bitPattern: reader.word()))
        out.write(#"{"ts":""#)
        timestamps.write(time, to: &out)
        out.write(#"","level":"info","msg":"request","method":"#)
        out.writeJSONString(reader.text())
        out.write(#","path":"#)
        out.writeJSONString(reader.text())
        out.write(#","status":"#)
        out.writeDecimal(status)
        out.write(#","duration_ms":"#)
        AccessLogEntry.writeMilliseconds(nanoseconds, to: &out)
        out.write(#","bytes":"#)
        out.writeDecimal(bytes)
        out.write(#","request_id":"#)
        out.writeJSONString(reader.text())
        out.write(#","peer":"#)
        out.writeJSONString(reader.text())
        if let user = reader.optionalText() {
            out.write(#","user_id":"#)
            out.writeJSONString(user)
        }
        out.write("}\n")
    }

    private static func writeText(_ text: Substring, to out: inout ByteCursor) {
        out.write(littleEndian: UInt32(clamping: text.utf8.count))
        let written: Bool? = text.utf8.withContiguousStorageIfAvailable { bytes in
            out.write(bytes)
            return true
        }
        if written == nil {
            for byte in text.utf8 { out.write(byte) }
        }
    }

    /// Reads a buffer written by `append`, front to back. Only this file writes such buffers,
    /// so their layout is trusted; a length past the end still reads no further than the end.
    private struct Reader {
        let raw: UnsafeRawBufferPointer
        var position = 0

        var isAtEnd: Bool { position >= raw.count }

        /// Moves past the next record; returns the most bytes its line can take.
        mutating func skipRecord() -> Int {
            for _ in 0..<5 { _ = word() }
            var texts = 0
            for _ in 0..<5 { texts += optionalText()?.count ?? 0 }
            return AccessLogRecord.lineOverhead + 6 * texts
        }

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
