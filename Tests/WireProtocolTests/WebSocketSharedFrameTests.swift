import Testing

@testable import WireProtocol

/// A broadcast is framed once and compressed once for every permessage-deflate connection
/// (issue 15), and the shared compressed copy decodes on a peer that keeps its window across
/// messages, between messages that peer's own connection compressed with context takeover.
@Suite struct WebSocketSharedFrameTests {
    /// A server connection that negotiated permessage-deflate from `offer`, not running (so what
    /// it sends stays in its outbox for the test to read).
    static func server(offer: String?) -> WebSocketConnection {
        let h = ServerHarness.make()
        let runtime = offer.flatMap {
            PerMessageDeflateNegotiation.accept(
                offers: WebSocketExtensionOffer.parse([$0]), configuration: .init())?
                .runtime
        }
        return WebSocketConnection(
            stream: h.peer.stream, role: .server, configuration: WebSocketConfiguration(), deflate: runtime)
    }

    static func outbox(_ c: WebSocketConnection) -> [[UInt8]] { c.state.withLock { $0.outbox } }

    static let operation = String(
        repeating: #"{"id":"5d1f","operation":"update","data":{"shape":"process","x":120,"y":40}},"#,
        count: 20)

    @Test func compressedOnceAndSharedByEveryDeflateConnection() throws {
        let shared = WebSocketSharedFrame(.text(Self.operation))
        let a = Self.server(offer: "permessage-deflate")
        let b = Self.server(offer: "permessage-deflate; server_no_context_takeover")
        let plain = Self.server(offer: nil)
        for c in [a, b, plain] { try c.send(shared) }
        let (fa, fb, fp) = (Self.outbox(a)[0], Self.outbox(b)[0], Self.outbox(plain)[0])
        #expect(fa[0] == 0xC1)  // FIN + RSV1 + text: compressed
        #expect(fa.count < Self.operation.utf8.count / 4)
        // One buffer, not equal copies: the second connection queued the first one's bytes.
        #expect(
            fa.withUnsafeBufferPointer { $0.baseAddress } == fb.withUnsafeBufferPointer { $0.baseAddress })
        #expect(fp[0] == 0x81)  // no deflate negotiated: the shared plain frame
        #expect(
            fp.withUnsafeBufferPointer { $0.baseAddress }
                == shared.plain.bytes.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test func smallMessagesGoPlainEvenWithDeflate() throws {
        let c = Self.server(offer: "permessage-deflate")
        try c.send(WebSocketSharedFrame(.text("tiny")))
        #expect(Self.outbox(c)[0][0] == 0x81)
    }

    /// The peer keeps its window (context takeover). The connection's own compressor has sent a
    /// message before the shared copy; after it, that compressor must not refer back into a
    /// window the peer no longer has at the same distances, so it starts afresh.
    @Test func sharedCopyInterleavesWithContextTakeoverTraffic() throws {
        let c = Self.server(offer: "permessage-deflate")
        let shared = WebSocketSharedFrame(.text(Self.operation + "shared"))
        try c.send(text: Self.operation)
        try c.send(shared)
        try c.send(text: Self.operation)
        try c.send(text: Self.operation)
        let frames = Self.outbox(c)
        #expect(frames.allSatisfy { $0[0] == 0xC1 })
        // The last message repeats the one before it: context takeover still shrinks it to a few bytes (the payload is 1.4 KB).
        #expect(frames[3].count < 32)
        var peer = WebSocketInboundProcessor(
            options: .make(role: .client, inflate: .init(maxWindowBits: 15, noContextTakeover: false)))
        let (events, failure) = peer.process(frames.flatMap { $0 })
        #expect(failure == nil)
        #expect(
            events == [
                .message(.text(Self.operation)), .message(.text(Self.operation + "shared")),
                .message(.text(Self.operation)), .message(.text(Self.operation)),
            ])
    }
}
