import Foundation

@testable import Storage

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TempDirectory: Sendable {
    let path: String

    init(_ label: String = "storage") throws {
        var template = Array("\(NSTemporaryDirectory())/tmi-\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw StorageError.lastIO("mkdtemp", label) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func read(_ name: String) throws -> [UInt8] { try FileIO.readAll(file(name)) ?? [] }

    func write(_ name: String, _ bytes: [UInt8]) throws {
        let fd = try FileIO.openTruncating(file(name))
        defer { FileIO.close(fd) }
        try FileIO.writeAll(fd, bytes, path: file(name))
    }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    func names() throws -> [String] { try FileIO.list(path).sorted() }
}

extension Array where Element == UInt8 {
    static func record(_ text: String) -> [UInt8] { Array(text.utf8) }
}

extension JournalRecord {
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// The journal bytes for `batches`: each inner array is one write, numbered from `first`.
func journalBytes(_ batches: [[String]], first: UInt64 = 1) -> [UInt8] {
    var out: [UInt8] = []
    var sequence = first
    for batch in batches {
        let (start, last) = (sequence, sequence + UInt64(batch.count) - 1)
        for text in batch {
            JournalLine.append(
                sequence: sequence, batchFirst: start, batchLast: last, payload: Array(text.utf8), to: &out)
            sequence += 1
        }
    }
    return out
}

/// Byte offsets at which each line of `bytes` starts.
func lineStarts(_ bytes: [UInt8]) -> [Int] {
    var starts = [0]
    for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") && i + 1 < bytes.count {
        starts.append(i + 1)
    }
    return starts
}
