import Foundation
import Synchronization
import Testing

@testable import Storage

@Suite struct IOThreadTests {
    @Test func runsJobsInOrderOnOneThreadOfItsOwn() async throws {
        let thread = try IOThread(name: "test-io")
        defer { thread.stop() }
        let seen = Mutex<[Int]>([])
        for i in 0..<50 { thread.submit { seen.withLock { $0.append(i) } } }
        let ids = try await thread.run { () throws(StorageError) in pthread_self() }
        let again = try await thread.run { () throws(StorageError) in pthread_self() }
        #expect(pthread_equal(ids, again) != 0)
        #expect(pthread_equal(ids, pthread_self()) == 0)
        #expect(seen.withLock { $0 } == Array(0..<50))
    }

    @Test func errorsComeBackToTheCaller() async throws {
        let thread = try IOThread(name: "test-io")
        defer { thread.stop() }
        await #expect(throws: StorageError.invalidArgument("no")) {
            try await thread.run { () throws(StorageError) -> Int in throw .invalidArgument("no") }
        }
        #expect(try await thread.run { () throws(StorageError) in 42 } == 42)
    }

    @Test func stoppedThreadRefusesWork() async throws {
        let thread = try IOThread(name: "test-io")
        // A job queued before stop() still runs (this would hang otherwise); later ones are refused.
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            thread.submit { c.resume() }
            thread.stop()
        }
        #expect(!thread.submit {})
        await #expect(throws: StorageError.self) { try await thread.run { () throws(StorageError) in 1 } }
    }

    @Test func runOnceUsesAFreshThread() async throws {
        let value = try await IOThread.runOnce(name: "once") { () throws(StorageError) in 7 }
        #expect(value == 7)
    }

    /// A full disk while writing a snapshot: the error reaches the caller, the temporary file is
    /// removed and the previous content is untouched.
    @Test func fullDiskDuringAtomicWriteKeepsTheOldFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        try dir.write("f", Array("old".utf8))
        let full = { (_: Int32, _: [UInt8], path: String) throws(StorageError) in
            throw StorageError.io(operation: "write", path: path, errno: ENOSPC)
        }
        do {
            try AtomicFile.replace(dir.file("f"), with: [Array("new".utf8)], writeAll: full)
            Issue.record("write to a full disk succeeded")
        } catch {
            #expect(error.isDiskFull)
        }
        #expect(try dir.read("f") == Array("old".utf8))
        #expect(try dir.names() == ["f"])
    }
}
