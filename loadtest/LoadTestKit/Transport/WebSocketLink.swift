import Synchronization
import WireProtocol

/// A client WebSocket over an upgraded `ByteStream`: text messages in and out, pings answered,
/// the close handshake completed. One task reads (`receive`); any task may `send` — writes are
/// serialized by an actor so frames never interleave.
public final class WebSocketLink: LoadTestSocket {
    actor Writer {
        let stream: any ByteStream
        /// Mask keys must be unpredictable to the server (RFC 6455 §5.3): the system generator.
        var rng = SystemRandomNumberGenerator()
        var closed = false

        init(stream: any ByteStream) { self.stream = stream }

        func write(_ opcode: WebSocketClientFrames.Opcode, _ payload: [UInt8]) async throws {
            guard !closed else { throw StreamError.closed }
            if opcode == .close { closed = true }
            let key = UInt32(truncatingIfNeeded: rng.next())
            try await stream.write(WebSocketClientFrames.encode(opcode, payload, maskKey: key))
        }
    }

    struct ReadState {
        var decoder = WebSocketClientFrames.Decoder()
        var message: [UInt8] = []
        var inMessage = false
        var closeReceived = false
    }

    let stream: any ByteStream
    let writer: Writer
    let readState = Mutex(ReadState())

    /// `stream` is the upgraded connection (yielding first any bytes read past the 101 head).
    public init(stream: any ByteStream) {
        self.stream = stream
        self.writer = Writer(stream: stream)
    }

    public func send(text: String) async throws {
        try await writer.write(.text, Array(text.utf8))
    }

    public func receive() async throws -> String? {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let text = try await nextMessage() { return text }
            if readState.withLock({ $0.closeReceived }) {
                stream.close()
                return nil
            }
            let count: Int
            do { count = try await stream.read(into: &buffer) } catch { return nil }
            if count == 0 { return nil }
            readState.withLock { $0.decoder.feed(buffer[0..<count]) }
        }
    }

    /// Takes whole frames from the decoder until a text message completes or bytes run out.
    func nextMessage() async throws -> String? {
        while true {
            let frame = try readState.withLock { s throws -> WebSocketClientFrames.Frame? in
                try s.decoder.next()
            }
            guard let frame else { return nil }
            switch frame.opcode {
            case .ping:
                try? await writer.write(.pong, frame.payload)
            case .pong:
                continue
            case .close:
                // Echo the status code to complete the close handshake (RFC 6455 §5.5.1).
                try? await writer.write(.close, Array(frame.payload.prefix(2)))
                readState.withLock { $0.closeReceived = true }
                return nil
            case .text, .binary, .continuation:
                let done = readState.withLock { s -> [UInt8]? in
                    if frame.opcode != .continuation { s.message.removeAll(keepingCapacity: true) }
                    s.message.append(contentsOf: frame.payload)
                    guard frame.fin else { return nil }
                    defer { s.message.removeAll(keepingCapacity: true) }
                    return s.message
                }
                if let done { return String(decoding: done, as: UTF8.self) }
            }
        }
    }

    public func close() async {
        try? await writer.write(.close, [0x03, 0xE8])  // 1000 normal closure
        stream.close()
    }
}
