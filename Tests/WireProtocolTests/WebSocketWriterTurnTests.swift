import Glibc
import Testing

@testable import WireProtocol

/// The writer's turn writes a busy connection's frames from the calling thread when the
/// socket takes them all, and hands only what it does not take to a writer task (issue 15).
@Suite struct WebSocketWriterTurnTests {
    /// A server connection with write coalescing on one end of a loopback TCP pair, the raw
    /// client socket on the other, with the connection's writer marked active and `outbox`
    /// queued: the state the coalescer leaves a connection in before its turn.
    static func connection(outbox: [[UInt8]]) async throws -> (
        WebSocketConnection, TCPConnection, TCPListener
    ) {
        let (listener, client, server) = try await TCPConnectionTests.pair()
        var configuration = WebSocketConfiguration()
        configuration.pingInterval = nil
        configuration.writeCoalescing = .milliseconds(10)
        configuration.outboxLimit = 64 << 20
        let connection = WebSocketConnection(stream: server, role: .server, configuration: configuration)
        connection.state.withLock { s in
            s.running = true
            s.writerActive = true
            s.outbox = outbox
            s.outboxBytes = outbox.reduce(0) { $0 + $1.count }
        }
        return (connection, client, listener)
    }

    static func read(_ count: Int, from client: TCPConnection) async throws -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < count {
            let n = try await client.read(into: &buffer, deadline: .after(.seconds(30)))
            if n == 0 { break }
            received += buffer[0..<n]
        }
        return received
    }

    /// Whether `client` receives exactly the bytes of `frames`, in order, compared as they arrive:
    /// tens of MB are never held twice (other tests measure the process's memory meanwhile).
    static func receives(_ frames: [[UInt8]], from client: TCPConnection) async throws -> Bool {
        var frame = 0
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while frame < frames.count {
            let n = try await client.read(into: &buffer, deadline: .after(.seconds(30)))
            if n == 0 { return false }
            var i = 0
            while i < n {
                while frame < frames.count && offset == frames[frame].count {
                    (frame, offset) = (frame + 1, 0)
                }
                guard frame < frames.count else { return false }
                let k = min(n - i, frames[frame].count - offset)
                let same = buffer.withUnsafeBytes { got in
                    frames[frame].withUnsafeBytes { want in
                        memcmp(got.baseAddress! + i, want.baseAddress! + offset, k) == 0
                    }
                }
                guard same else { return false }
                (i, offset) = (i + k, offset + k)
            }
            while frame < frames.count && offset == frames[frame].count { (frame, offset) = (frame + 1, 0) }
        }
        return true
    }

    /// Parts of distinct bytes, so a part out of order or cut in the wrong place shows.
    static func patterned(_ parts: Int, size: Int) -> [[UInt8]] {
        (0..<parts).map { p in
            var part = [UInt8](repeating: UInt8(truncatingIfNeeded: p), count: size)
            part[0] = 0xFF
            part[size - 1] = 0xFE
            return part
        }
    }

    @Test func framesTheSocketTakesAreWrittenWithoutAWriterTask() async throws {
        let frames = Self.patterned(5, size: 700)
        let (connection, client, listener) = try await Self.connection(outbox: frames)
        connection.writeQueued()
        // Done before returning: nothing is left queued and the writer is no longer active, so
        // no task was needed (a writer task would still hold `writerActive` here).
        let after = connection.state.withLock { ($0.writerActive, $0.outbox.count, $0.lastWrite != nil) }
        #expect(after == (false, 0, true))
        #expect(try await Self.read(3500, from: client) == frames.flatMap { $0 })
        client.close()
        connection.stream.close()
        listener.close()
    }

    @Test func whatTheSocketDoesNotTakeIsWrittenByAWriterTaskInOrder() async throws {
        // 24 MB: more than a loopback socket's send and receive buffers hold while the peer
        // does not read, so the write stops part way into a frame.
        let frames = Self.patterned(96, size: 250_000)
        let (connection, client, listener) = try await Self.connection(outbox: frames)
        connection.writeQueued()
        // The rest was handed to a writer task, which waits for the peer to read.
        #expect(connection.state.withLock { $0.outbox.isEmpty && $0.writerActive })
        #expect(try await Self.receives(frames, from: client))
        client.close()
        connection.stream.close()
        listener.close()
    }

    @Test func droppingCutsAtEveryByte() {
        let buffers: [[UInt8]] = [[1, 2, 3], [], [4], [5, 6]]
        let flat = buffers.flatMap { $0 }
        for count in 0...flat.count {
            let rest = WebSocketConnection.dropping(count, from: buffers)
            #expect(rest.flatMap { $0 } == Array(flat[count...]))
        }
    }
}
