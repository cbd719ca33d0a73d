import CollabCore
import Dispatch
import FoundationEssentials
import Glibc
import Testing
import WireProtocol

@testable import RESTGateway

/// `StandardErrorSink` writes a batch begun on an I/O loop from that loop, never waiting for the
/// reader of stderr: what stderr does not take goes to the writer thread, in order.
@Suite struct LogWrittenOnTheLoopTests {
    /// `F_SETPIPE_SZ` (Linux; Glibc leaves it out without `_GNU_SOURCE`).
    let setPipeSize: Int32 = 1031

    static func entry(_ i: Int) -> AccessLogEntry {
        AccessLogEntry(
            time: Date(timeIntervalSince1970: 1_750_000_000.25), method: "GET", target: "/x/\(i)?q=1",
            status: 200, nanoseconds: 1_500_000, bytes: 10, requestID: "r-\(i)", peer: "127.0.0.1:1",
            userID: nil)
    }

    /// Runs `body` on the first I/O loop and returns once it has run.
    static func onLoop(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Poller.shared.runAfter(.zero) {
                body()
                done.resume()
            }
        }
    }

    /// Reads `fd` until it has `count` lines (a minute at most), off the cooperative pool.
    static func readLines(_ fd: Int32, count: Int) async -> [String] {
        await withCheckedContinuation { (done: CheckedContinuation<[String], Never>) in
            DispatchQueue.global().async {
                var text: [UInt8] = []
                var chunk = [UInt8](repeating: 0, count: 65536)
                var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let deadline = ContinuousClock.now + .seconds(60)
                while text.count(where: { $0 == 0x0A }) < count, ContinuousClock.now < deadline {
                    guard poll(&waiting, 1, 1000) > 0 else { continue }
                    let n = read(fd, &chunk, chunk.count)
                    if n <= 0 { break }
                    text += chunk[0..<n]
                }
                done.resume(
                    returning: String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init))
            }
        }
    }

    static func requestIDs(_ lines: [String]) throws -> [String] {
        try lines.map { try #require(JSONValue.parse($0)["request_id"]?.stringValue) }
    }

    @Test func linesLoggedOnALoopAreWrittenByThatLoopInOrder() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let sink = StandardErrorSink(descriptor: fds[1], coalescing: .milliseconds(1))
        let logger = Logger(sink: sink)
        await Self.onLoop {
            for i in 0..<100 { logger.access(Self.entry(i)) }
        }
        let lines = await Self.readLines(fds[0], count: 100)
        #expect(try Self.requestIDs(lines) == (0..<100).map { "r-\($0)" })
        // No thread but the loop wrote: the batch never went to the writer thread.
        #expect(sink.batchesWrittenByWriter == 0)
    }

    /// A pipe holding 4 KiB that nobody reads: the loop writes what fits and returns; the writer
    /// thread waits with the rest; a second batch begun on the loop meanwhile queues behind it.
    /// Once read, every line is there, in order.
    @Test func whatStderrCannotTakeIsWrittenLaterByTheWriterInOrder() async throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        #expect(fcntl(fds[1], setPipeSize, 4096) == 4096)
        let sink = StandardErrorSink(descriptor: fds[1], coalescing: .milliseconds(1))
        let logger = Logger(sink: sink)
        await Self.onLoop {
            for i in 0..<200 { logger.access(Self.entry(i)) }  // about 30 KB of lines
        }
        // The loop's timer fills the pipe and hands the rest on; the loop goes on running.
        var queued: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while queued < 4096, ContinuousClock.now < deadline {
            await Task.yield()
            _ = ioctl(fds[0], UInt(FIONREAD), &queued)
        }
        #expect(queued == 4096)
        await Self.onLoop {
            for i in 200..<300 { logger.access(Self.entry(i)) }
        }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let reading = Task { await Self.readLines(readEnd, count: 300) }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                sink.flush()
                close(writeEnd)
                done.resume()
            }
        }
        let lines = await reading.value
        #expect(try Self.requestIDs(lines) == (0..<300).map { "r-\($0)" })
        #expect(sink.batchesWrittenByWriter >= 1)
    }
}
