import Glibc
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

    /// A secret (the signing key, the cluster secret) is written with mode 0600, and the file has
    /// that mode from its creation: the temporary file is made with it, not changed afterwards.
    @Test func atomicWriteGivesTheFileItsMode() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try AtomicFile.replace(dir.file("secret"), with: [Array("key".utf8)], mode: 0o600)
        var info = stat()
        #expect(stat(dir.file("secret"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try dir.read("secret") == Array("key".utf8))
    }

    /// A leftover temporary file, or a link planted in its place, is removed and never written
    /// through: the link's target keeps its content.
    @Test func atomicWriteNeverWritesThroughAPlantedTemporaryPath() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try dir.write("victim", Array("untouched".utf8))
        #expect(symlink(dir.file("victim"), dir.file("f.tmp")) == 0)
        try AtomicFile.replace(dir.file("f"), with: [Array("new".utf8)])
        #expect(try dir.read("victim") == Array("untouched".utf8))
        #expect(try dir.read("f") == Array("new".utf8))
        #expect(try dir.names() == ["f", "victim"])
    }

    @Test func atomicWriteIntoMissingDirectoryIsAnError() async throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        await #expect(throws: StorageError.self) {
            try await AtomicFile.write([1], to: dir.file("no/such/f"))
        }
    }
}
