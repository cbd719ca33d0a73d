@testable import WireProtocol

/// The far end of a memory pipe, speaking raw frames: what a test client (or a misbehaving
/// one) sends, and the server's frames as they arrive.
final class RawPeer: @unchecked Sendable {
    // @unchecked: a test drives one RawPeer from a single task at a time.
    let stream: MemoryByteStream
    private var reader = ServerOutputReader()
    private var delivered = 0

    init(_ stream: MemoryByteStream) { self.stream = stream }

    func send(_ bytes: [UInt8]) async throws {
        try await stream.write(bytes)
    }

    /// The next frame from the server, or nil at end of stream.
    func nextFrame() async throws -> WebSocketFrame? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while delivered >= reader.frames.count {
            let n = try await stream.read(into: &buffer)
            if n == 0 { return nil }
            try reader.feed(Array(buffer[..<n]))
        }
        delivered += 1
        return reader.frames[delivered - 1]
    }

    /// The code of the next frame, which must be a close frame.
    func expectClose() async throws -> UInt16? {
        guard let frame = try await nextFrame(), frame.opcode == .close, frame.payload.count >= 2 else {
            return nil
        }
        return UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
    }

    /// True when the stream ends with no further frame.
    func expectEOF() async throws -> Bool {
        try await nextFrame() == nil
    }
}

/// A server-role connection on one end of a memory pipe and a raw peer on the other.
struct ServerHarness {
    let connection: WebSocketConnection
    let peer: RawPeer
    let clock: ManualClock

    static func make(
        configure: (inout WebSocketConfiguration) -> Void = { _ in }, pipeCapacity: Int = 1 << 20
    ) -> ServerHarness {
        let clock = ManualClock()
        var configuration = WebSocketConfiguration()
        configuration.clock = clock
        configuration.pingInterval = nil
        configure(&configuration)
        let (server, client) = MemoryByteStream.makePair(capacity: pipeCapacity)
        let connection = WebSocketConnection(stream: server, role: .server, configuration: configuration)
        return ServerHarness(connection: connection, peer: RawPeer(client), clock: clock)
    }
}
