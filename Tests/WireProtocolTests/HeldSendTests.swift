import Glibc
import Synchronization
import Testing

@testable import WireProtocol

/// Writes made on a socket's own loop are held to the end of the loop's round
/// (`Poller.sendAtEndOfRound`): sent back to back after the round's other tasks ran, each
/// writer resumed as before once the socket took its bytes.
@Suite struct HeldSendTests {
    /// Whether bytes wait in `connection`'s receive queue, without taking them or waiting.
    static func hasBytesWaiting(_ connection: TCPConnection) -> Bool {
        var byte: UInt8 = 0
        return recv(connection.descriptor.fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// `count` bytes in blocks of 64 KiB, each a different rotation of one pattern, so a byte out
    /// of place shows.
    static func pattern(count: Int) -> [UInt8] {
        let block = (0..<65536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var rotation = 0
        while bytes.count < count {
            let rotated = block[rotation...] + block[..<rotation]
            bytes += rotated.prefix(count - bytes.count)
            rotation += 1
        }
        return bytes
    }

    /// Runs `body` with a connected pair (client, server) and the server socket's loop, then
    /// closes both and the listener, also when `body` throws.
    static func onPair(_ body: (TCPConnection, TCPConnection, Poller) async throws -> Void) async throws {
        let (listener, client, server) = try await TCPConnectionTests.pair()
        defer {
            client.close()
            server.close()
            listener.close()
        }
        try await body(client, server, server.descriptor.poller)
    }

    /// Runs `body` as a task on `loop` (where writes are held) and returns how it failed, nil if
    /// it did not.
    static func failure(on loop: Poller, _ body: @escaping @Sendable () async throws(StreamError) -> Void)
        async -> StreamError?
    {
        await Task(executorPreference: loop) { () async -> StreamError? in
            do throws(StreamError) {
                try await body()
                return nil
            } catch {
                return error
            }
        }.value
    }

    /// Reads `expected.count` bytes (or to end of stream) from `client`, comparing as they arrive
    /// (nothing is kept): how many arrived, and where the first difference was, if any.
    static func receive(_ expected: [UInt8], from client: TCPConnection) async throws -> (Int, Int?) {
        var received = 0
        var mismatchAt: Int?
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received < expected.count {
            let n = try await client.read(into: &buffer, deadline: .after(.seconds(60)))
            if n == 0 { break }
            let same = buffer.withUnsafeBytes { got in
                expected.withUnsafeBytes { memcmp(got.baseAddress!, $0.baseAddress! + received, n) == 0 }
            }
            if mismatchAt == nil, !same { mismatchAt = received }
            received += n
        }
        return (received, mismatchAt)
    }

    /// Starts `first` and then `second` as tasks on `loop` from one action there, so both run in
    /// the same round, in that order; returns when both have ended.
    static func runInOneRound(
        on loop: Poller, _ first: @escaping @Sendable () async -> Void,
        _ second: @escaping @Sendable () async -> Void
    ) async {
        let tasks = await withCheckedContinuation {
            (started: CheckedContinuation<[Task<Void, Never>], Never>) in
            loop.runSoon {
                let a = Task(executorPreference: loop) { await first() }
                let b = Task(executorPreference: loop) { await second() }
                started.resume(returning: [a, b])
            }
        }
        for task in tasks { await task.value }
    }

    @Test func aWriteOnItsLoopLeavesAfterTheRoundsOtherTasksRan() async throws {
        try await Self.onPair { client, server, loop in
            let written = Mutex<StreamError??>(nil)
            let seenDuringTheRound = Mutex<Bool?>(nil)
            await Self.runInOneRound(
                on: loop,
                {
                    do throws(StreamError) {
                        try await server.write(Array("answer".utf8), deadline: nil)
                        written.withLock { $0 = .some(nil) }
                    } catch {
                        written.withLock { $0 = .some(error) }
                    }
                },
                { seenDuringTheRound.withLock { $0 = Self.hasBytesWaiting(client) } })
            // The second task of the round found nothing: the first one's bytes were still held.
            #expect(seenDuringTheRound.withLock { $0 } == false)
            #expect(written.withLock { $0 } == .some(nil))
            // Once the write returned, the bytes were in the socket: the peer has them now.
            #expect(Self.hasBytesWaiting(client))
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = try await client.read(into: &buffer)
            #expect(Array(buffer[0..<n]) == Array("answer".utf8))
        }
    }

    /// 16 MB is far more than the socket takes at once: the held send stops where it would block
    /// and the writer goes on by itself, every byte arriving in order.
    @Test func aHeldWriteTheSocketCannotTakeWholeArrivesWholeAndInOrder() async throws {
        try await Self.onPair { client, server, loop in
            let payload = Self.pattern(count: 16 * 1024 * 1024)
            let writer = Task(executorPreference: loop) { () async throws -> Void in
                try await server.write(payload, deadline: .after(.seconds(60)))
            }
            let (received, mismatchAt) = try await Self.receive(payload, from: client)
            try await writer.value
            #expect(received == payload.count)
            #expect(mismatchAt == nil)
        }
    }

    /// The server's answer and its wait for the next request in one call: the answer arrives,
    /// and the next request is what the read returns. An 8 MB answer is more than the socket
    /// takes at once: the held send stops where it would block and the task writes the rest.
    @Test(arguments: [6, 8 * 1024 * 1024])
    func readAfterWritingSendsTheAnswerThenReadsTheNextRequest(answerSize: Int) async throws {
        try await Self.onPair { client, server, loop in
            let answer = Self.pattern(count: answerSize)
            try await client.write(Array("first".utf8))
            let served = Task(executorPreference: loop) { () async throws -> [UInt8] in
                var buffer = [UInt8](repeating: 0, count: 64)
                let first = try await server.read(into: &buffer, deadline: .after(.seconds(60)))
                #expect(Array(buffer[0..<first]) == Array("first".utf8))
                // The read above emptied the socket: this one holds the answer and waits to read.
                let next = try await server.read(
                    into: &buffer, deadline: .after(.seconds(60)), afterWriting: answer,
                    writeTimeout: .seconds(60))
                return Array(buffer[0..<next])
            }
            let (received, mismatchAt) = try await Self.receive(answer, from: client)
            #expect(received == answer.count)
            #expect(mismatchAt == nil)
            try await client.write(Array("second".utf8))
            #expect(try await served.value == Array("second".utf8))
        }
    }

    /// Once the answer is sent, the task waiting for the next request holds no reference to it:
    /// an idle keep-alive connection does not keep its last answer alive.
    @Test func anAnswerSentWithTheReadIsNotKeptWhileTheConnectionWaits() async throws {
        try await Self.onPair { client, server, loop in
            var probe = Self.pattern(count: 64 * 1024)
            let handedOver = Mutex<[UInt8]?>(probe)
            let storage = probe.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
            try await client.write(Array("first".utf8))
            let served = Task(executorPreference: loop) { () async throws -> [UInt8] in
                var buffer = [UInt8](repeating: 0, count: 64)
                _ = try await server.read(into: &buffer, deadline: .after(.seconds(60)))
                let answer = handedOver.withLock { $0.take() } ?? []
                let next = try await server.read(
                    into: &buffer, deadline: .after(.seconds(60)), afterWriting: consume answer,
                    writeTimeout: .seconds(60))
                return Array(buffer[0..<next])
            }
            let (received, _) = try await Self.receive(probe, from: client)
            #expect(received == probe.count)
            // One more turn of the loop, so the round that sent the answer has finished.
            await withCheckedContinuation { (turned: CheckedContinuation<Void, Never>) in
                loop.runSoon { turned.resume() }
            }
            // Writing to the probe copies its storage only if someone else still refers to it.
            let afterWrite = probe.withUnsafeMutableBufferPointer { buffer -> UInt in
                buffer[0] = buffer[0]
                return UInt(bitPattern: buffer.baseAddress)
            }
            #expect(afterWrite == storage)
            try await client.write(Array("second".utf8))
            #expect(try await served.value == Array("second".utf8))
        }
    }

    /// A held answer whose read waits with a deadline still times out when no request follows.
    @Test func readAfterWritingTimesOutWhenNoRequestFollows() async throws {
        try await Self.onPair { client, server, loop in
            try await client.write(Array("first".utf8))
            let failure = await Self.failure(on: loop) { () async throws(StreamError) in
                var buffer = [UInt8](repeating: 0, count: 64)
                _ = try await server.read(into: &buffer, deadline: .after(.seconds(30)))
                _ = try await server.read(
                    into: &buffer, deadline: .after(.milliseconds(50)), afterWriting: Array("answer".utf8),
                    writeTimeout: .seconds(30))
            }
            #expect(failure == .timedOut)
            // The answer went out before the read timed out.
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = try await client.read(into: &buffer, deadline: .after(.seconds(30)))
            #expect(Array(buffer[0..<n]) == Array("answer".utf8))
        }
    }

    /// The write timeout of an answer sent with the read is taken when the socket first refuses
    /// bytes, and still ends the write when the peer never reads: 8 MB to a peer that reads
    /// nothing fails with `.timedOut`, not by waiting for the (long) read deadline.
    @Test func anAnswerThePeerNeverReadsTimesOutAfterTheWriteTimeout() async throws {
        try await Self.onPair { client, server, loop in
            try await client.write(Array("first".utf8))
            let answer = Self.pattern(count: 8 * 1024 * 1024)
            let failure = await Self.failure(on: loop) { () async throws(StreamError) in
                var buffer = [UInt8](repeating: 0, count: 64)
                _ = try await server.read(into: &buffer, deadline: .after(.seconds(60)))
                _ = try await server.read(
                    into: &buffer, deadline: .after(.seconds(600)), afterWriting: answer,
                    writeTimeout: .milliseconds(100))
            }
            #expect(failure == .timedOut)
        }
    }

    /// A held write to a peer that reset the connection fails instead of claiming success.
    @Test func aHeldWriteToAResetPeerFails() async throws {
        try await Self.onPair { client, server, loop in
            var abort = linger(l_onoff: 1, l_linger: 0)
            setsockopt(
                client.descriptor.fd, SOL_SOCKET, SO_LINGER, &abort, socklen_t(MemoryLayout<linger>.size))
            client.close()
            // The reset arrives at once on loopback; reading sees it (0 or `.disconnected`).
            var buffer = [UInt8](repeating: 0, count: 16)
            _ = try? await server.read(into: &buffer, deadline: .after(.seconds(30)))
            let failure = await Self.failure(on: loop) { () async throws(StreamError) in
                try await server.write(Array("too late".utf8), deadline: .after(.seconds(30)))
            }
            #expect(failure == .disconnected)
        }
    }
}
