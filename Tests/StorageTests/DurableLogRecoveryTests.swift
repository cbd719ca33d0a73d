import Testing

@testable import Storage

/// The on-disk states a crash can leave at each step of a compaction, built by hand, and what
/// recovery must make of them: every record of the history exactly once, twice in a row.
@Suite struct DurableLogRecoveryTests {
    /// A log directory under construction. History records are "r1", "r2", ...; a snapshot
    /// through S holds "r1".."rS", one per line.
    struct Disk {
        let dir: TempDirectory
        let name = "m"

        func journal(_ generation: Int, _ range: ClosedRange<Int>?, tornBytes: Int = 0) throws {
            guard let range else { return try dir.write("\(name).journal.\(generation)", []) }
            let bytes = journalBytes(range.map { ["r\($0)"] }, first: UInt64(range.lowerBound))
            try dir.write("\(name).journal.\(generation)", Array(bytes.dropLast(tornBytes)))
        }

        func snapshot(through sequence: Int, journal generation: Int) throws {
            let body = Array(
                (1...max(sequence, 1)).prefix(sequence).map { "r\($0)" }.joined(separator: "\n").utf8)
            try SnapshotFile.write(
                body,
                header: SnapshotHeader(sequence: UInt64(sequence), journalGeneration: UInt64(generation)),
                to: dir.file("\(name).snapshot"))
        }

        /// Opens the log, returns snapshot lines + replayed records, and closes it again.
        func recover() async throws -> [String] {
            let (log, recovery) = try await DurableLog.open(directory: dir.path, name: name)
            await log.close()
            let snapshotLines = recovery.snapshot.map { String(decoding: $0, as: UTF8.self) }.map {
                $0.isEmpty ? [] : $0.split(separator: "\n").map(String.init)
            }
            return (snapshotLines ?? []) + recovery.records.map(\.text)
        }

        /// Recovers twice (recovery must be idempotent) and checks the history `1...last`.
        func expectHistory(_ last: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let expected = (1...last).map { "r\($0)" }
            #expect(try await recover() == expected, sourceLocation: sourceLocation)
            #expect(try await recover() == expected, sourceLocation: sourceLocation)
        }
    }

    private func withDisk(_ body: (Disk) async throws -> Void) async throws {
        let dir = try TempDirectory("recovery")
        defer { dir.remove() }
        try await body(Disk(dir: dir))
    }

    @Test func crashAfterRotationBeforeSnapshot() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, 11...12)
            try await disk.expectHistory(12)
        }
    }

    @Test func crashRightAfterRotationLeavesAnEmptyGeneration() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, nil)
            try await disk.expectHistory(10)
            let (log, _) = try await DurableLog.open(directory: disk.dir.path, name: "m")
            #expect(try await log.append(.record("r11")) == 11)
            await log.close()
            try await disk.expectHistory(11)
        }
    }

    @Test func crashWhileWritingTheTemporarySnapshot() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, 11...12)
            try disk.dir.write("m.snapshot.tmp", Array("tmi-snapshot 1 sequ".utf8))
            try await disk.expectHistory(12)
            #expect(!disk.dir.exists("m.snapshot.tmp"))
        }
    }

    @Test func crashBeforeTheRenameOfACompleteTemporarySnapshot() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, 11...12)
            try disk.snapshot(through: 10, journal: 2)
            try disk.dir.write("m.snapshot.tmp", try disk.dir.read("m.snapshot"))
            try FileIO.remove(disk.dir.file("m.snapshot"))
            try await disk.expectHistory(12)
            #expect(try disk.dir.names() == ["m.journal.1", "m.journal.2"])
        }
    }

    @Test func crashAfterTheSnapshotBeforeDeletingTheOldJournal() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, 11...12)
            try disk.snapshot(through: 10, journal: 2)
            try await disk.expectHistory(12)
            #expect(try disk.dir.names() == ["m.journal.2", "m.snapshot"])
        }
    }

    @Test func crashPartWayThroughDeletingSeveralOldJournals() async throws {
        try await withDisk { disk in
            try disk.journal(2, 6...10)
            try disk.journal(3, 11...12)
            try disk.snapshot(through: 10, journal: 3)
            try await disk.expectHistory(12)
            #expect(try disk.dir.names() == ["m.journal.3", "m.snapshot"])
        }
    }

    @Test func crashDuringASecondCompactionKeepsTheFirstSnapshot() async throws {
        try await withDisk { disk in
            try disk.snapshot(through: 4, journal: 1)
            try disk.journal(1, 5...10)
            try disk.journal(2, 11...12)
            try disk.dir.write("m.snapshot.tmp", [])
            try await disk.expectHistory(12)
        }
    }

    @Test func snapshotBehindTheRotationPointSkipsWhatItIncludes() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10)
            try disk.journal(2, 11...12)
            try disk.snapshot(through: 6, journal: 1)
            try await disk.expectHistory(12)
        }
    }

    @Test func tornTailOfTheNewestGenerationIsDropped() async throws {
        try await withDisk { disk in
            try disk.journal(2, 11...12, tornBytes: 4)
            try disk.snapshot(through: 10, journal: 2)
            try await disk.expectHistory(11)
        }
    }

    @Test func tornOlderGenerationIsAnError() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...10, tornBytes: 4)
            try disk.journal(2, 11...12)
            await #expect(throws: StorageError.self) { try await disk.recover() }
        }
    }

    @Test func recordsMissingAfterTheSnapshotAreAnError() async throws {
        try await withDisk { disk in
            try disk.snapshot(through: 4, journal: 2)
            try disk.journal(2, 7...9)
            await #expect(throws: StorageError.self) { try await disk.recover() }
        }
    }

    @Test func gapBetweenGenerationsIsAnError() async throws {
        try await withDisk { disk in
            try disk.journal(1, 1...5)
            try disk.journal(2, 7...9)
            await #expect(throws: StorageError.self) { try await disk.recover() }
        }
    }

    @Test func missingFirstGenerationIsAnError() async throws {
        try await withDisk { disk in
            try disk.journal(2, 4...9)
            await #expect(throws: StorageError.self) { try await disk.recover() }
        }
    }

    @Test func damagedSnapshotIsAnError() async throws {
        try await withDisk { disk in
            try disk.snapshot(through: 3, journal: 1)
            var bytes = try disk.dir.read("m.snapshot")
            bytes[bytes.count - 2] ^= 0x08
            try disk.dir.write("m.snapshot", bytes)
            await #expect(throws: StorageError.self) { try await disk.recover() }
        }
    }
}
