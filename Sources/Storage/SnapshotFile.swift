/// A snapshot on disk: one header line, then the caller's bytes (any content, newlines included).
///
///     tmi-snapshot 1 sequence=<S> journal=<G> length=<L> crc32=<8 hex>\n<L bytes>
///
/// `sequence` is the last journal record the snapshot includes; replay skips records up to it, so
/// replaying a journal that also holds older records is harmless. `journal` is the first journal
/// generation that may hold records after it: older generations are covered and can go. The
/// CRC-32 covers the header text before it and the body. A snapshot is only ever written atomically, so a damaged one
/// cannot come from a crash and is reported as `.corrupt`, not skipped.
struct SnapshotHeader: Equatable, Sendable {
    var sequence: UInt64
    var journalGeneration: UInt64
}

enum SnapshotFile {
    static let magic = "tmi-snapshot 1"
    static let maxHeaderBytes = 256

    static func header(_ header: SnapshotHeader, for body: [UInt8]) -> [UInt8] {
        let fields = Array(
            "\(magic) sequence=\(header.sequence) journal=\(header.journalGeneration) length=\(body.count)"
                .utf8)
        let crc = String(checksum(fields: fields, body: body), radix: 16)
        let padded = String(repeating: "0", count: 8 - crc.count) + crc
        return fields + Array(" crc32=\(padded)\n".utf8)
    }

    private static func checksum(fields: [UInt8], body: [UInt8]) -> UInt32 {
        CRC32.checksum(body, continuing: CRC32.checksum(fields))
    }

    static func write(_ body: [UInt8], header: SnapshotHeader, to path: String) throws(StorageError) {
        try AtomicFile.replace(path, with: [self.header(header, for: body), body])
    }

    /// The snapshot at `path`, or nil when there is none.
    static func read(_ path: String) throws(StorageError) -> (header: SnapshotHeader, body: [UInt8])? {
        guard let bytes = try FileIO.readAll(path) else { return nil }
        func damaged(_ reason: String) -> StorageError { .corrupt(path: path, offset: 0, reason: reason) }
        guard let newline = bytes.prefix(maxHeaderBytes).firstIndex(of: UInt8(ascii: "\n")) else {
            throw damaged("no snapshot header line")
        }
        let line = Array(bytes[..<newline])
        let words = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard words.count == 6, "\(words[0]) \(words[1])" == magic else {
            throw damaged("not a snapshot header")
        }
        var fields: [Substring: Substring] = [:]
        for word in words.dropFirst(2) {
            guard let eq = word.firstIndex(of: "=") else { throw damaged("malformed header field \(word)") }
            fields[word[..<eq]] = word[word.index(after: eq)...]
        }
        guard let sequence = fields["sequence"].flatMap({ UInt64($0) }),
            let generation = fields["journal"].flatMap({ UInt64($0) }),
            let length = fields["length"].flatMap({ Int($0) }),
            let crc = fields["crc32"].flatMap({ UInt32($0, radix: 16) })
        else { throw damaged("malformed snapshot header") }
        let body = Array(bytes[(newline + 1)...])
        guard body.count == length else {
            throw damaged("body is \(body.count) bytes, header says \(length)")
        }
        guard let crcField = line.lastIndex(of: UInt8(ascii: " ")),
            checksum(fields: Array(line[..<crcField]), body: body) == crc
        else { throw damaged("checksum mismatch") }
        return (SnapshotHeader(sequence: sequence, journalGeneration: generation), body)
    }
}
