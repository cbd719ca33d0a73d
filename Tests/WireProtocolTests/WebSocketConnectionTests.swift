import Testing

@testable import WireProtocol

@Suite struct WebSocketConnectionTests {
    @Test func echoesAndCompletesPeerInitiatedClose() async throws {
        let h = ServerHarness.make()
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        try await h.peer.send(RawFrame.text("hello") + RawFrame.client(0x2, [1, 2, 3]))
        #expect(try await h.peer.nextFrame() == WebSocketFrame(opcode: .text, payload: Array("hello".utf8)))
        #expect(try await h.peer.nextFrame() == WebSocketFrame(opcode: .binary, payload: [1, 2, 3]))
        try await h.peer.send(RawFrame.client(0x9, [7]))
        #expect(try await h.peer.nextFrame() == WebSocketFrame(opcode: .pong, payload: [7]))
        try await h.peer.send(RawFrame.close(1000, Array("bye".utf8)))
        #expect(try await h.peer.expectClose() == 1000)
        // §7.1.1: the server closes the TCP connection after the close handshake.
        #expect(try await h.peer.expectEOF())
        await run
        #expect(
            h.connection.closeInfo
                == WebSocketCloseInfo(code: .normalClosure, reason: "bye", initiatedByPeer: true))
    }

    @Test func emptyCloseIsAnsweredWithEmptyClose() async throws {
        let h = ServerHarness.make()
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        try await h.peer.send(RawFrame.close(nil))
        #expect(try await h.peer.nextFrame() == WebSocketFrame(opcode: .close, payload: []))
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code == .noStatusReceived)
    }

    struct FailureCase: Sendable, CustomTestStringConvertible {
        var name: String
        var bytes: [UInt8]
        var code: UInt16
        var testDescription: String { name }
    }

    /// Every way the peer can fail the connection, answered with the matching close code and
    /// followed by the end of the stream (§7.1.7).
    static let failures: [FailureCase] = [
        FailureCase(name: "reserved opcode → 1002", bytes: RawFrame.client(0x3), code: 1002),
        FailureCase(name: "invalid close code → 1002", bytes: RawFrame.close(1005), code: 1002),
        FailureCase(name: "one-byte close → 1002", bytes: RawFrame.client(0x8, [1]), code: 1002),
        FailureCase(
            name: "unmasked frame → 1002", bytes: RawFrame.client(0x1, [0x61], masked: false), code: 1002),
        FailureCase(
            name: "invalid UTF-8 text → 1007", bytes: RawFrame.client(0x1, [0xC0, 0xAF]), code: 1007),
        FailureCase(
            name: "invalid UTF-8 close reason → 1007", bytes: RawFrame.close(1000, [0xFF]), code: 1007),
        FailureCase(name: "binary on text-only → 1003", bytes: RawFrame.client(0x2, [1]), code: 1003),
        FailureCase(
            name: "frame too big → 1009", bytes: RawFrame.client(0x2, Array(repeating: 0, count: 2000)),
            code: 1009),
    ]

    @Test(arguments: failures)
    func failsConnectionWithCode(_ c: FailureCase) async throws {
        let h = ServerHarness.make { config in
            config.acceptsBinary = c.name.contains("text-only") ? false : true
            config.maxFrameSize = 1000
        }
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        try await h.peer.send(c.bytes)
        #expect(try await h.peer.expectClose() == c.code)
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code.rawValue == c.code)
    }

    /// The application's reply to a message goes out before the close frame caused by what
    /// follows the message on the wire, even when both arrive in one read.
    @Test(arguments: [RawFrame.client(0x3), RawFrame.close(1000)])
    func replyPrecedesCloseThatFollowsMessage(_ next: [UInt8]) async throws {
        let h = ServerHarness.make()
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        try await h.peer.send(RawFrame.text("first") + RawFrame.text("second") + next)
        #expect(try await h.peer.nextFrame()?.payload == Array("first".utf8))
        #expect(try await h.peer.nextFrame()?.payload == Array("second".utf8))
        #expect(try await h.peer.expectClose() == (next[0] == 0x88 ? 1000 : 1002))
        #expect(try await h.peer.expectEOF())
        await run
    }

    /// A handler that never takes its messages cannot hold the connection open: the close
    /// timer drops it once the peer's close has waited `closeTimeout`.
    @Test func handlerThatNeverReadsIsBoundedByCloseTimeout() async throws {
        let h = ServerHarness.make { $0.closeTimeout = .seconds(5) }
        async let run: Void = h.connection.run { ws in _ = await ws.waitUntilClosed() }
        try await h.peer.send(RawFrame.text("unread") + RawFrame.close(1000))
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(5))
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code == .abnormalClosure)
    }

    /// Codes the application chooses (1000 on return, 1001, 1008, 1011): a close frame with that
    /// code, then the peer's answer completes the handshake.
    @Test(arguments: [nil, 1001, 1008, 1011] as [UInt16?])
    func applicationCloseCodes(_ code: UInt16?) async throws {
        let h = ServerHarness.make()
        async let run: Void = h.connection.run { ws in
            if let code { ws.close(code: WebSocketCloseCode(code), reason: "app") }
        }
        #expect(try await h.peer.expectClose() == code ?? 1000)
        #expect(throws: WebSocketError.connectionClosed) { try h.connection.send(text: "late") }
        try await h.peer.send(RawFrame.close(code ?? 1000))
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code.rawValue == code ?? 1000)
        #expect(h.connection.closeInfo?.initiatedByPeer == false)
    }

    /// A peer that never answers our close is dropped when the close timeout passes.
    @Test func closeTimeoutDropsSilentPeer() async throws {
        let h = ServerHarness.make { $0.closeTimeout = .seconds(5) }
        async let run: Void = h.connection.run { ws in ws.close(code: .goingAway) }
        #expect(try await h.peer.expectClose() == 1001)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(5))
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code == .abnormalClosure)
    }

    /// The keepalive and close timers hold the connection strongly (no weak reference, so no
    /// side table): when the I/O ends they are cancelled and the connection is freed, though
    /// neither deadline has passed.
    @Test func anEndedConnectionIsFreedBeforeItsTimersWouldFire() async throws {
        let clock = ManualClock()
        var configuration = WebSocketConfiguration()
        configuration.clock = clock
        configuration.pingInterval = .seconds(30)
        configuration.closeTimeout = .seconds(5)
        let (server, client) = MemoryByteStream.makePair(capacity: 1 << 20)
        let peer = RawPeer(client)
        weak var weakConnection: WebSocketConnection?
        do {
            let connection = WebSocketConnection(stream: server, role: .server, configuration: configuration)
            weakConnection = connection
            async let run: Void = connection.run { ws in ws.close(code: .goingAway) }
            #expect(try await peer.expectClose() == 1001)
            try await peer.send(RawFrame.close(1001))
            #expect(try await peer.expectEOF())
            await run
        }
        #expect(weakConnection == nil)
    }

    @Test func keepalivePingAnsweredKeepsConnection() async throws {
        let h = ServerHarness.make {
            $0.pingInterval = .seconds(30)
            $0.pongTimeout = .seconds(10)
        }
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(30))
        let ping = try #require(try await h.peer.nextFrame())
        #expect(ping.opcode == .ping)
        try await h.peer.send(RawFrame.client(0xA, ping.payload))
        // The echo proves the pong was processed before the deadline is checked.
        try await h.peer.send(RawFrame.text("still here"))
        #expect(try await h.peer.nextFrame()?.payload == Array("still here".utf8))
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(10))
        await h.clock.waitForSleepers(1)  // back to waiting for the next interval: not closed
        h.clock.advance(by: .seconds(30))
        #expect(try await h.peer.nextFrame()?.opcode == .ping)
        try await h.peer.send(RawFrame.close(1000))
        #expect(try await h.peer.expectClose() == 1000)
        await run
    }

    @Test func missedPongClosesWith1001() async throws {
        let h = ServerHarness.make {
            $0.pingInterval = .seconds(30)
            $0.pongTimeout = .seconds(10)
        }
        async let run: Void = h.connection.run(WebSocketEcho.handler)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(30))
        #expect(try await h.peer.nextFrame()?.opcode == .ping)
        await h.clock.waitForSleepers(1)
        h.clock.advance(by: .seconds(10))
        #expect(try await h.peer.expectClose() == 1001)
        #expect(try await h.peer.expectEOF())
        await run
        #expect(h.connection.closeInfo?.code == .goingAway)
    }

    /// A peer that stops reading: the pipe fills, the outbox passes its bound, the connection is
    /// closed with 1008 and memory stays bounded (sends fail rather than queue).
    @Test func slowReaderIsClosedWith1008() async throws {
        let h = ServerHarness.make(configure: { $0.outboxLimit = 64 * 1024 }, pipeCapacity: 16 * 1024)
        async let run: Void = h.connection.run { ws in
            for await _ in ws.messages {}
        }
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        var failure: WebSocketError?
        for _ in 0..<1000 {
            do throws(WebSocketError) {
                try h.connection.send(binary: chunk)
            } catch {
                failure = error
                break
            }
            await Task.yield()
        }
        #expect(failure == .policyViolation("peer is not reading"))
        #expect(h.connection.state.withLock { $0.outboxBytes } < 64 * 1024 + 2000)
        // The peer reads at last: some data, then the 1008 close, then the end.
        var code: UInt16?
        while let frame = try await h.peer.nextFrame() {
            if frame.opcode == .close { code = UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) }
        }
        #expect(code == 1008)
        await run
        #expect(h.connection.closeInfo?.code == .policyViolation)
    }

    /// Broadcasting one encoded frame queues the same buffer on every connection: no copy.
    @Test func encodedFrameIsSharedNotCopied() throws {
        let frame = EncodedFrame(text: String(repeating: "x", count: 200))
        let harnesses = (0..<100).map { _ in ServerHarness.make() }
        for h in harnesses { try h.connection.send(frame) }
        let original = frame.bytes.withUnsafeBufferPointer { $0.baseAddress }
        for h in harnesses {
            let queued = h.connection.state.withLock {
                $0.outbox[0].withUnsafeBufferPointer { $0.baseAddress }
            }
            #expect(queued == original)
        }
    }

    @Test func queuedFramesAreCoalescedIntoOneWrite() async throws {
        let h = ServerHarness.make()
        for i in 0..<10 { try h.connection.send(text: "m\(i)") }
        async let run: Void = h.connection.run { ws in ws.close() }
        for i in 0..<10 { #expect(try await h.peer.nextFrame()?.payload == Array("m\(i)".utf8)) }
        #expect(try await h.peer.expectClose() == 1000)
        try await h.peer.send(RawFrame.close(1000))
        await run
    }
}
