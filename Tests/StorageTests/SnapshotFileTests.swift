import Testing

@testable import Storage

@Suite struct SnapshotFileTests {
    @Test func roundTripsBytesWithNewlines() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let body: [UInt8] = Array("{\n  \"models\": []\n}\n".utf8) + [0, 255, 10]
        let header = SnapshotHeader(sequence: 41, journalGeneration: 3)
        try SnapshotFile.write(body, header: header, to: dir.file("s"))
        let read = try #require(try SnapshotFile.read(dir.file("s")))
        #expect(read.header == header)
        #expect(read.body == body)
        #expect(!dir.exists("s.tmp"))
        #expect(try SnapshotFile.read(dir.file("absent")) == nil)
    }

    @Test func emptyBodyIsAllowed() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try SnapshotFile.write(
            [], header: SnapshotHeader(sequence: 0, journalGeneration: 1), to: dir.file("s"))
        #expect(try SnapshotFile.read(dir.file("s"))?.body == [])
    }

    /// A snapshot is renamed into place only once complete and fsynced, so any damage is real
    /// corruption: every flipped byte and every truncation is reported, never loaded.
    @Test func damageIsReported() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try SnapshotFile.write(
            Array("state".utf8), header: SnapshotHeader(sequence: 5, journalGeneration: 2), to: dir.file("s"))
        let good = try dir.read("s")
        for i in good.indices {
            var bad = good
            bad[i] ^= 0x01
            try dir.write("s", bad)
            #expect(throws: StorageError.self, "byte \(i)") { try SnapshotFile.read(dir.file("s")) }
        }
        for cut in 0..<good.count {
            try dir.write("s", Array(good[..<cut]))
            #expect(throws: StorageError.self, "cut \(cut)") { try SnapshotFile.read(dir.file("s")) }
        }
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFile() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try await AtomicFile.write(Array("one".utf8), to: dir.file("f"))
        try await AtomicFile.write(Array("two".utf8), to: dir.file("f"))
        #expect(try dir.read("f") == Array("two".utf8))
        #expect(try dir.names() == ["f"])
    }

    @Test func atomicWriteIntoMissingDirectoryIsAnError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        await #expect(throws: StorageError.self) {
            try await AtomicFile.write([1], to: dir.file("no/such/f"))
        }
    }
}
