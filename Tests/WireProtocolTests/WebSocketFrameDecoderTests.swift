import Testing

@testable import WireProtocol

@Suite struct WebSocketFrameDecoderTests {
    /// A stream mixing every kind of frame: fragmented text with a ping between fragments,
    /// binary, an empty message, a pong and a close.
    static let mixed: [UInt8] =
        RawFrame.text("Hel", fin: false) + RawFrame.client(0x9, [1, 2, 3])
        + RawFrame.client(0x0, Array("lo €".utf8), fin: true) + RawFrame.client(0x2, Array(0..<200))
        + RawFrame.client(0x1, []) + RawFrame.client(0xA, [9]) + RawFrame.close(1000, Array("bye".utf8))

    static let expected: [WebSocketInboundProcessor.Event] = [
        .ping([1, 2, 3]), .message(.text("Hello €")), .message(.binary(Array(0..<200))),
        .message(.text("")), .pong([9]), .close(.normalClosure, "bye"),
    ]

    @Test(arguments: Feeding.allCases)
    func decodesMixedStream(_ mode: Feeding) {
        let (events, failure) = Feeding.run(Feeding.chunks(Self.mixed, mode), options: .make())
        #expect(failure == nil)
        #expect(events == Self.expected)
    }

    @Test func decodesMixedStreamSplitAtEveryOffset() {
        for offset in 0...Self.mixed.count {
            let (events, failure) = Feeding.run(Feeding.split(Self.mixed, at: offset), options: .make())
            #expect(failure == nil, "offset \(offset)")
            #expect(events == Self.expected, "offset \(offset)")
        }
    }

    /// Length encodings: 7-bit up to 125, 16-bit from 126 to 65535, 64-bit from 65536 (§5.2),
    /// big-endian, through our encoder and decoder in both directions.
    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func boundaryLengthsRoundTrip(_ length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        // Client to server: masked.
        let masked = WebSocketFrameEncoder.encode(opcode: .binary, payload: payload, maskingKey: RawFrame.key)
        #expect(masked == RawFrame.client(0x2, payload))
        let (events, failure) = Feeding.run([masked], options: .make())
        #expect(failure == nil)
        #expect(events == [.message(.binary(payload))])
        // Server to client: unmasked.
        let plain = WebSocketFrameEncoder.encode(opcode: .binary, payload: payload)
        #expect(plain == RawFrame.client(0x2, payload, masked: false))
        let (clientEvents, clientFailure) = Feeding.run([plain], options: .make(role: .client))
        #expect(clientFailure == nil)
        #expect(clientEvents == [.message(.binary(payload))])
        // The header is the minimal encoding with a big-endian length.
        switch length {
        case ...125: #expect(plain[1] == UInt8(length))
        case ...65535: #expect(plain[1] == 126 && Int(plain[2]) << 8 | Int(plain[3]) == length)
        default:
            #expect(
                plain[1] == 127
                    && plain[2...9]
                        == [
                            0, 0, 0, 0, 0, UInt8(length >> 16), UInt8((length >> 8) & 0xFF),
                            UInt8(length & 0xFF),
                        ][...]
            )
        }
    }

    @Test func boundaryLengthsByteByByte() {
        for length in [125, 126, 65535, 65536] {
            let payload = [UInt8](repeating: 0x61, count: length)
            let frame = RawFrame.client(0x1, payload)
            let (events, failure) = Feeding.run(Feeding.chunks(frame, .byteByByte), options: .make())
            #expect(failure == nil)
            #expect(events == [.message(WebSocketMessage(kind: .text, bytes: payload))])
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var role: WebSocketRole = .server
        var error: WebSocketError
        var testDescription: String { name }
    }

    static let badFrames: [Bad] = [
        Bad(
            name: "RSV1 without extension", bytes: RawFrame.client(0x1, [0x61], rsv: 4),
            error: .protocolViolation("reserved bit set")),
        Bad(
            name: "RSV2", bytes: RawFrame.client(0x1, [0x61], rsv: 2),
            error: .protocolViolation("reserved bit set")),
        Bad(
            name: "RSV3", bytes: RawFrame.client(0x1, [0x61], rsv: 1),
            error: .protocolViolation("reserved bit set")),
        Bad(name: "opcode 3", bytes: RawFrame.client(0x3), error: .protocolViolation("reserved opcode")),
        Bad(name: "opcode 0xB", bytes: RawFrame.client(0xB), error: .protocolViolation("reserved opcode")),
        Bad(
            name: "ping of 126 bytes", bytes: RawFrame.client(0x9, Array(repeating: 0, count: 126)),
            error: .protocolViolation("control frame too long")),
        Bad(
            name: "fragmented ping", bytes: RawFrame.client(0x9, [1], fin: false),
            error: .protocolViolation("fragmented control frame")),
        Bad(
            name: "unmasked client frame", bytes: RawFrame.client(0x1, [0x61], masked: false),
            error: .protocolViolation("unmasked client frame")),
        Bad(
            name: "masked server frame", bytes: RawFrame.client(0x1, [0x61]), role: .client,
            error: .protocolViolation("masked server frame")),
        Bad(
            name: "64-bit length with high bit", bytes: [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4],
            error: .protocolViolation("64-bit length with high bit set")),
        Bad(
            name: "frame above limit (64-bit)", bytes: [0x82, 0xFF, 0, 0, 0, 0, 0x7F, 0, 0, 0],
            error: .messageTooBig),
        Bad(
            name: "continuation first", bytes: RawFrame.client(0x0, [0x61]),
            error: .protocolViolation("continuation without a message")),
        Bad(
            name: "text inside fragmented text", bytes: RawFrame.text("a", fin: false) + RawFrame.text("b"),
            error: .protocolViolation("new message inside a fragmented one")),
        Bad(
            name: "close with one byte", bytes: RawFrame.client(0x8, [3]),
            error: .protocolViolation("close payload of one byte")),
    ]

    /// Each bad header fails as soon as the bytes proving it bad are present, whole or byte by byte.
    @Test(arguments: badFrames)
    func rejects(_ bad: Bad) {
        for mode in Feeding.allCases {
            let (_, failure) = Feeding.run(Feeding.chunks(bad.bytes, mode), options: .make(role: bad.role))
            #expect(failure == bad.error, "\(mode)")
        }
    }

    /// The limit applies before the payload arrives: only the header is fed.
    @Test func oversizedFrameFailsOnHeaderAlone() {
        let header = Array(RawFrame.client(0x2, Array(repeating: 0, count: 2000)).prefix(8))
        let (_, failure) = Feeding.run([header], options: .make(maxFrameSize: 1000))
        #expect(failure == .messageTooBig)
    }

    @Test func unmaskingHandlesEveryPhaseAndLength() {
        let key = WebSocketMaskingKey(1, 2, 4, 8)
        for length in 0..<40 {
            for phase in 0..<4 {
                let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                var data = original
                data.withUnsafeMutableBytes { key.apply(to: $0, phase: phase) }
                #expect(data == original.enumerated().map { $0.element ^ key[phase + $0.offset] })
            }
        }
    }
}
