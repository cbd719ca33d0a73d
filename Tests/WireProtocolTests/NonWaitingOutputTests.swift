import Glibc
import Testing

@testable import WireProtocol

@Suite struct NonWaitingOutputTests {
    /// `F_SETPIPE_SZ` (Linux; Glibc leaves it out without `_GNU_SOURCE`).
    let setPipeSize: Int32 = 1031

    static func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &+ Int(seed)) }
    }

    /// Everything `fd` holds now, read without waiting.
    static func drain(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                out += chunk[0..<n]
            } else if n < 0 && errno == ENOTSOCK {
                let m = read(fd, &chunk, chunk.count)
                guard m > 0 else { return out }
                out += chunk[0..<m]
            } else {
                return out
            }
        }
    }

    /// A pipe nobody reads takes what fits, then answers with what is left instead of waiting;
    /// once read, it takes more. The descriptor's own flags are left as they were.
    @Test func aFullPipeLeavesTheRestInsteadOfWaiting() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        defer { close(fds[1]) }
        #expect(fcntl(fds[1], setPipeSize, 4096) == 4096)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let output = NonWaitingOutput(descriptor: fds[1])
        #expect(output.kind == .other)
        let first = Self.bytes(10_000)
        let left = first.withUnsafeBytes { output.write($0) }
        #expect(left == 10_000 - 4096)
        #expect(output.canWriteWithoutWaiting)
        // Full: nothing more is taken, and the call still returns.
        #expect(first.withUnsafeBytes { output.write($0) } == 10_000)
        #expect(fcntl(fds[1], F_GETFL) & O_NONBLOCK == 0)
        #expect(Self.drain(fds[0]) == Array(first.prefix(4096)))
        let second = Self.bytes(1000, seed: 7)
        #expect(second.withUnsafeBytes { output.write($0) } == 0)
        #expect(Self.drain(fds[0]) == second)
    }

    /// A socket is written with `MSG_DONTWAIT`: a peer that stops reading fills it, and the
    /// write returns what is left.
    @Test func aFullSocketLeavesTheRestInsteadOfWaiting() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]) }
        defer { close(fds[1]) }
        let output = NonWaitingOutput(descriptor: fds[1])
        #expect(output.kind == .socket)
        let chunk = Self.bytes(65536)
        var written = 0
        var left = 0
        // A socket buffer is at most a few MB: 1,000 chunks of 64 KiB are far beyond it.
        for _ in 0..<1000 {
            left = chunk.withUnsafeBytes { output.write($0) }
            written += chunk.count - left
            if left > 0 { break }
        }
        #expect(left > 0)
        #expect(Self.drain(fds[0]).count == written)
    }

    /// A regular file takes everything (it never waits for a reader).
    @Test func aFileTakesEverything() throws {
        var template = Array("/tmp/tmi-output.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        #expect(fd >= 0)
        defer {
            close(fd)
            unlink(template)
        }
        let output = NonWaitingOutput(descriptor: fd)
        #expect(output.kind == .file)
        let data = Self.bytes(200_000)
        #expect(data.withUnsafeBytes { output.write($0) } == 0)
        #expect(lseek(fd, 0, SEEK_CUR) == 200_000)
    }

    /// A closed pipe drops the bytes (0 left) rather than spin or hand them on.
    @Test func aBrokenOutputDropsTheBytes() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[1]) }
        close(fds[0])
        signal(SIGPIPE, SIG_IGN)
        let output = NonWaitingOutput(descriptor: fds[1])
        #expect(Self.bytes(100).withUnsafeBytes { output.write($0) } == 0)
    }
}
