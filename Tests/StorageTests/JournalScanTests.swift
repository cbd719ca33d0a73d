import Testing

@testable import Storage

@Suite struct JournalScanTests {
    private func scan(_ bytes: [UInt8], torn: Bool = true) throws -> JournalScan {
        try JournalScan.scan(bytes, path: "j", allowTornTail: torn, firstSequence: 1)
    }

    @Test func intactFileYieldsEveryRecord() throws {
        let bytes = journalBytes([["a"], ["b", "c"], ["d"]])
        let result = try scan(bytes)
        #expect(result.records.map(\.text) == ["a", "b", "c", "d"])
        #expect(result.records.map(\.sequence) == [1, 2, 3, 4])
        #expect(result.validLength == bytes.count)
    }

    @Test func emptyFileIsEmpty() throws {
        #expect(try scan([]) == JournalScan())
    }

    /// A crash can cut the last write anywhere: every prefix of the last line recovers the
    /// records before it, without error.
    @Test func tornLastLineAtEveryOffsetIsDropped() throws {
        let before = journalBytes([["one"], ["two"], ["three"]])
        let full = journalBytes([["one"], ["two"], ["three"], [#"{"last":"record"}"#]])
        for cut in before.count..<full.count {
            let result = try scan(Array(full[..<cut]))
            #expect(result.records.map(\.text) == ["one", "two", "three"], "cut at \(cut)")
            #expect(result.validLength == before.count)
        }
        #expect(try scan(full).records.count == 4)
    }

    /// The unit of a torn write is the batch: a prefix of a multi-record final batch drops the
    /// whole batch, even its complete lines, because none of it was acknowledged.
    @Test func tornFinalBatchAtEveryOffsetIsDroppedWhole() throws {
        let before = journalBytes([["a"], ["b"]])
        let full = journalBytes([["a"], ["b"], ["c", "d", "e"]])
        for cut in before.count..<full.count {
            let result = try scan(Array(full[..<cut]))
            #expect(result.records.map(\.text) == ["a", "b"], "cut at \(cut)")
            #expect(result.validLength == before.count)
        }
    }

    /// Pages of a batch may reach the disk out of order: a hole inside the final batch, with
    /// later lines of that batch intact, is still a torn write.
    @Test func holeInsideFinalBatchIsTorn() throws {
        var bytes = journalBytes([["a"], ["b", "c", "d"]])
        let starts = lineStarts(bytes)
        for i in starts[2]..<(starts[3] - 1) { bytes[i] = 0 }
        let result = try scan(bytes)
        #expect(result.records.map(\.text) == ["a"])
        #expect(result.validLength == starts[1])
    }

    @Test func corruptedLastLineIsDropped() throws {
        var bytes = journalBytes([["a"], ["b"], ["c"]])
        bytes[lineStarts(bytes)[2] + 12] ^= 0x20
        #expect(try scan(bytes).records.map(\.text) == ["a", "b"])
    }

    @Test(arguments: [0, 1, 2, 3])
    func corruptedMiddleRecordIsAnError(line: Int) throws {
        var bytes = journalBytes([["r0"], ["r1"], ["r2"], ["r3"], ["r4"]])
        bytes[lineStarts(bytes)[line] + 14] ^= 0x01
        #expect(throws: StorageError.self) { try scan(bytes) }
        do {
            _ = try scan(bytes)
        } catch let error as StorageError {
            guard case .corrupt(let path, let offset, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path == "j")
            #expect(offset == lineStarts(bytes)[line])
        }
    }

    @Test func junkInsideCompleteBatchIsAnError() throws {
        let head = journalBytes([["a"]])
        let batch = journalBytes([["b", "c"]], first: 2)
        let starts = lineStarts(batch)
        let bytes = head + batch[..<starts[1]] + Array("garbage\n".utf8) + batch[starts[1]...]
        #expect(throws: StorageError.self) { try scan(bytes) }
    }

    @Test func sequenceGapBeforeLaterBatchIsAnError() throws {
        let bytes = journalBytes([["a"], ["b"]]) + journalBytes([["d"], ["e"]], first: 4)
        #expect(throws: StorageError.self) { try scan(bytes) }
    }

    @Test func olderGenerationMayNotBeTorn() throws {
        let full = journalBytes([["a"], ["b"]])
        #expect(throws: StorageError.self) { try scan(Array(full.dropLast()), torn: false) }
        #expect(try scan(full, torn: false).records.count == 2)
    }

    @Test func firstSequenceIsChecked() throws {
        let bytes = journalBytes([["a"]], first: 5) + journalBytes([["b"]], first: 6)
        #expect(throws: StorageError.self) { try scan(bytes) }
        let result = try JournalScan.scan(bytes, path: "j", allowTornTail: true, firstSequence: 5)
        #expect(result.records.map(\.sequence) == [5, 6])
    }
}
