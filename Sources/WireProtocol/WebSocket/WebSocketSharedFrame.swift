import Synchronization

/// One message broadcast to many server connections: its plain frame is encoded once, and its
/// permessage-deflate frame is compressed once per compressor setting (window bits, level, memory
/// level) among the connections it goes to. In a deployment every connection negotiates the same
/// setting, so a broadcast to n compressed connections costs one compression, not n.
///
/// Why one compressed copy fits every connection, context takeover or not (RFC 7692): the copy is
/// compressed from an empty window, so it refers to nothing outside itself. A peer that keeps its
/// window across messages (no `server_no_context_takeover`) simply never sees a reference into
/// it, which §7.1.1.1 allows (context takeover is a permission for the sender, not a duty). The
/// price is ratio: a copy compressed against the connection's previous messages would be smaller.
/// The sending connection drops its own compressor when it queues a shared copy, because the
/// peer's window now holds bytes that compressor did not see (see `WebSocketConnection.send`).
public final class WebSocketSharedFrame: Sendable {
    /// The uncompressed frame, for connections without permessage-deflate and small messages.
    public let plain: EncodedFrame
    /// Compressed frames by setting; nil when compressing did not make the message smaller.
    private let compressed = Mutex<[(key: Key, bytes: [UInt8]?)]>([])

    struct Key: Equatable {
        var windowBits: Int
        var level: Int
        var memoryLevel: Int
    }

    public init(_ message: WebSocketMessage) {
        plain = EncodedFrame(message)
    }

    /// The frame (header and payload, RSV1 set) compressed with `runtime`'s sending settings, made
    /// on first use and shared afterwards; nil to send `plain` instead.
    func compressedFrame(for runtime: PerMessageDeflateRuntime) -> [UInt8]? {
        let key = Key(
            windowBits: runtime.deflate.maxWindowBits, level: runtime.compressionLevel,
            memoryLevel: runtime.memoryLevel)
        return compressed.withLock { cache -> [UInt8]? in
            if let hit = cache.first(where: { $0.key == key }) { return hit.bytes }
            let bytes = compress(with: key)
            cache.append((key, bytes))
            return bytes
        }
    }

    private func compress(with key: Key) -> [UInt8]? {
        // A fresh compressor per message: its window starts empty (see above), and a broadcast is
        // compressed once, so its setup cost is paid once per message, not per recipient.
        guard
            let compressor = try? PerMessageDeflateCompressor(
                windowBits: key.windowBits, memLevel: key.memoryLevel, level: key.level,
                noContextTakeover: true),
            let payload = plain.payload.withUnsafeBytes({ b in try? compressor.compress(b) }),
            payload.count < plain.payload.count
        else { return nil }
        return WebSocketFrameEncoder.encode(opcode: plain.opcode, rsv1: true, payload: payload)
    }
}

extension WebSocketConnection {
    /// Sends a broadcast message: the shared compressed frame when this server connection
    /// negotiated permessage-deflate and the message is worth compressing, else the shared plain
    /// frame. No bytes are copied or re-encoded per connection.
    public func send(_ shared: WebSocketSharedFrame) throws(WebSocketError) {
        guard role == .server, let deflate, shared.plain.payload.count >= deflate.minimumSize,
            let bytes = shared.compressedFrame(for: deflate)
        else {
            return try send(shared.plain)
        }
        try checked(
            state.withLock { s in
                // The peer's window now holds this message, which our own compressor (used by
                // direct sends, with context takeover) never saw: its back-references would point
                // at the wrong bytes. Start it afresh next time.
                s.compressor = nil
                return enqueueLocked(bytes, &s)
            })
    }
}
