import Testing

@testable import WireProtocol

@Suite struct TCPConnectionTests {
    /// A listener on port 0 and a connected pair (client, server side).
    static func pair() async throws -> (TCPListener, TCPConnection, TCPConnection) {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        async let accepted = listener.accept()
        let client = try await TCPConnection.connect(host: "127.0.0.1", port: listener.port)
        return (listener, client, try await accepted)
    }

    @Test func portZeroIsReadBackAndBytesFlowBothWays() async throws {
        let (listener, client, server) = try await Self.pair()
        #expect(listener.port > 0)
        #expect(server.peerDescription.hasPrefix("127.0.0.1:"))
        try await client.write(Array("ping".utf8))
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try await server.read(into: &buffer)
        #expect(Array(buffer[0..<n]) == Array("ping".utf8))
        client.close()
        server.close()
        listener.close()
    }

    @Test func largeVectoredWriteArrivesWholeAndInOrder() async throws {
        let (listener, client, server) = try await Self.pair()
        let parts = (0..<8).map { [UInt8](repeating: UInt8($0), count: 300_000) }
        async let sent: Void = client.write(vectored: parts)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < 2_400_000 {
            let n = try await server.read(into: &buffer)
            if n == 0 { break }
            received += buffer[0..<n]
        }
        try await sent
        #expect(received == parts.flatMap { $0 })
        client.close()
        server.close()
        listener.close()
    }

    /// `writeNow` takes what the socket accepts without waiting: everything while the window
    /// is open, then less than asked, and never blocks; what `write(vectored:)` writes later
    /// arrives after it, in order.
    @Test func writeNowStopsWhereTheSocketIsFullAndNeverWaits() async throws {
        let (listener, client, server) = try await Self.pair()
        #expect(try client.writeNow(vectored: [[1, 2], [3]]) == 3)
        let chunk = [UInt8](repeating: 7, count: 1 << 20)
        var taken = 0
        var last = chunk.count
        // A peer that does not read: the buffers fill within a few tens of MB.
        for _ in 0..<200 where last == chunk.count {
            last = try client.writeNow(vectored: [chunk]) ?? -1
            taken += max(last, 0)
        }
        #expect(last >= 0 && last < chunk.count)
        async let rest: Void = client.write(vectored: [[9]])
        var received = 0
        var lastByte: UInt8 = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received < 3 + taken + 1 {
            let n = try await server.read(into: &buffer)
            if n == 0 { break }
            received += n
            lastByte = buffer[n - 1]
        }
        try await rest
        #expect(received == 3 + taken + 1)
        #expect(lastByte == 9)
        client.close()
        server.close()
        listener.close()
    }

    @Test func endOfStreamReadsZeroAndResetIsDisconnected() async throws {
        let (listener, client, server) = try await Self.pair()
        client.close()
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(try await server.read(into: &buffer) == 0)
        // Writing to a closed peer eventually fails with .disconnected (EPIPE/ECONNRESET), no SIGPIPE.
        await #expect(throws: StreamError.disconnected) {
            for _ in 0..<100 { try await server.write([UInt8](repeating: 1, count: 65536)) }
        }
        server.close()
        listener.close()
    }

    /// After a read shorter than its buffer the next read waits for readiness instead of reading
    /// (issue 15). When the data and the FIN arrive together, the one event that reported both
    /// was consumed with the data: the next read must still see the end of stream, not park until
    /// its deadline (the deadline here only keeps a regression from hanging the run).
    @Test func shortReadThenEndOfStreamArrivingTogetherStillReadsZero() async throws {
        for round in 0..<20 {
            let (listener, client, server) = try await Self.pair()
            try await server.write(Array("hello \(round)".utf8))
            server.close()
            var buffer = [UInt8](repeating: 0, count: 4096)
            var received: [UInt8] = []
            while true {
                let n = try await client.read(into: &buffer, deadline: .after(.seconds(30)))
                if n == 0 { break }
                received += buffer[0..<n]
            }
            #expect(received == Array("hello \(round)".utf8))
            client.close()
            listener.close()
        }
    }

    /// Short reads with more data following: every byte still arrives, in order.
    @Test func shortReadsFollowedByMoreDataLoseNothing() async throws {
        let (listener, client, server) = try await Self.pair()
        var buffer = [UInt8](repeating: 0, count: 4096)
        for i in 0..<200 {
            let message = Array("message \(i);".utf8)
            try await client.write(message)
            var received: [UInt8] = []
            while received.count < message.count {
                let n = try await server.read(into: &buffer, deadline: .after(.seconds(30)))
                #expect(n > 0)
                if n == 0 { break }
                received += buffer[0..<n]
            }
            #expect(received == message)
        }
        client.close()
        server.close()
        listener.close()
    }

    @Test func readDeadlinePassesWithTimedOut() async throws {
        let (listener, client, server) = try await Self.pair()
        var buffer = [UInt8](repeating: 0, count: 16)
        await #expect(throws: StreamError.timedOut) {
            _ = try await server.read(into: &buffer, deadline: .after(.milliseconds(50)))
        }
        // The connection is still usable afterwards.
        try await client.write([42])
        #expect(try await server.read(into: &buffer) == 1)
        client.close()
        server.close()
        listener.close()
    }

    @Test func closeWakesAPendingReaderAndLaterCallsFail() async throws {
        let (listener, client, server) = try await Self.pair()
        let reader = Task {
            var buffer = [UInt8](repeating: 0, count: 16)
            return try await server.read(into: &buffer)
        }
        // Wait until the reader is parked, via the peer: a write makes no difference to this.
        server.close()
        await #expect(throws: StreamError.closed) { try await reader.value }
        await #expect(throws: StreamError.closed) { try await server.write([1]) }
        client.close()
        listener.close()
    }

    @Test func cancellingAReaderEndsItsWait() async throws {
        let (listener, client, server) = try await Self.pair()
        let reader = Task {
            var buffer = [UInt8](repeating: 0, count: 16)
            return try await server.read(into: &buffer)
        }
        reader.cancel()
        await #expect(throws: StreamError.closed) { try await reader.value }
        client.close()
        server.close()
        listener.close()
    }

    @Test func connectToAClosedPortFails() async throws {
        let listener = try await TCPListener.bind(host: "127.0.0.1", port: 0)
        let port = listener.port
        listener.close()
        await #expect(throws: StreamError.self) {
            _ = try await TCPConnection.connect(host: "127.0.0.1", port: port)
        }
    }

    @Test func closedListenerStopsAccept() async throws {
        let listener = try await TCPListener.bind(host: "localhost", port: 0)
        let accepting = Task { try await listener.accept() }
        listener.close()
        await #expect(throws: StreamError.closed) { _ = try await accepting.value }
    }

    @Test func prefixedStreamYieldsThePrefixFirst() async throws {
        let (listener, client, server) = try await Self.pair()
        let stream = PrefixedByteStream(server, prefix: Array("abcdef".utf8))
        try await client.write(Array("XYZ".utf8))
        var small = [UInt8](repeating: 0, count: 4)
        #expect(try await stream.read(into: &small) == 4)
        #expect(small == Array("abcd".utf8))
        var rest: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16)
        while rest.count < 5 {
            let n = try await stream.read(into: &buffer)
            rest += buffer[0..<n]
        }
        #expect(rest == Array("efXYZ".utf8))
        client.close()
        stream.close()
        listener.close()
    }
}
