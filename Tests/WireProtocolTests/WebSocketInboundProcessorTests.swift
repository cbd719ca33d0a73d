import Testing

@testable import WireProtocol

@Suite struct WebSocketInboundProcessorTests {
    @Test(arguments: Feeding.allCases)
    func reassemblesFragmentsWithInterleavedControlFrames(_ mode: Feeding) {
        let bytes =
            RawFrame.client(0x2, [1], fin: false) + RawFrame.client(0x9, Array("p1".utf8))
            + RawFrame.client(0x0, [2], fin: false) + RawFrame.client(0xA, [])
            + RawFrame.client(0x9, Array("p2".utf8)) + RawFrame.client(0x0, [3], fin: true)
        let (events, failure) = Feeding.run(Feeding.chunks(bytes, mode), options: .make())
        #expect(failure == nil)
        #expect(
            events == [
                .ping(Array("p1".utf8)), .pong([]), .ping(Array("p2".utf8)), .message(.binary([1, 2, 3])),
            ])
    }

    /// §8.1 fail fast: the first fragment is valid, the second holds a surrogate. The error comes
    /// with the second fragment, before the final one exists.
    @Test func invalidUTF8FailsInTheFragmentThatHasIt() {
        let first = RawFrame.text("κόσμε", fin: false)
        let second = RawFrame.client(0x0, [0xED, 0xA0, 0x80, 0x65], fin: false)
        var processor = WebSocketInboundProcessor(options: .make())
        #expect(processor.process(first).failure == nil)
        #expect(processor.process(second).failure == .invalidUTF8)
    }

    /// Fail fast inside one frame: only the header and the first bad byte have arrived.
    @Test func invalidUTF8FailsMidFrame() {
        let frame = RawFrame.client(0x1, Array("hello".utf8) + [0xF5] + Array(repeating: 0x61, count: 100))
        var processor = WebSocketInboundProcessor(options: .make())
        let headerLength = 6
        #expect(processor.process(Array(frame[..<(headerLength + 5)])).failure == nil)
        #expect(processor.process([frame[headerLength + 5]]).failure == .invalidUTF8)
    }

    @Test func textEndingMidCodePointFails() {
        let bytes = RawFrame.client(0x1, [0x61, 0xE2, 0x82])
        for mode in Feeding.allCases {
            #expect(Feeding.run(Feeding.chunks(bytes, mode), options: .make()).1 == .invalidUTF8)
        }
    }

    @Test func codePointSplitAcrossFragmentsIsValid() {
        let euro: [UInt8] = [0xE2, 0x82, 0xAC]
        let bytes = RawFrame.client(0x1, [euro[0]], fin: false) + RawFrame.client(0x0, Array(euro[1...]))
        #expect(Feeding.run([bytes], options: .make()).0 == [.message(.text("€"))])
    }

    @Test func messageLimitAcrossFragmentsIs1009() {
        let bytes =
            RawFrame.client(0x2, Array(repeating: 1, count: 60), fin: false)
            + RawFrame.client(0x0, Array(repeating: 1, count: 60))
        let (events, failure) = Feeding.run([bytes], options: .make(maxMessageSize: 100))
        #expect(events.isEmpty)
        #expect(failure == .messageTooBig)
        #expect(failure?.closeCode == .messageTooBig)
    }

    @Test func frameLimitIs1009() {
        let bytes = RawFrame.client(0x2, Array(repeating: 1, count: 101))
        #expect(Feeding.run([bytes], options: .make(maxFrameSize: 100)).1?.closeCode == .messageTooBig)
        #expect(Feeding.run([bytes], options: .make(maxFrameSize: 101)).1 == nil)
    }

    @Test func binaryOnTextOnlyEndpointIs1003() {
        let (_, failure) = Feeding.run([RawFrame.client(0x2, [1])], options: .make(acceptsBinary: false))
        #expect(failure?.closeCode == .unsupportedData)
    }

    @Test func eventsBeforeAnErrorAreKept() {
        let bytes = RawFrame.text("ok") + RawFrame.client(0x3)
        let (events, failure) = Feeding.run([bytes], options: .make())
        #expect(events == [.message(.text("ok"))])
        #expect(failure?.closeCode == .protocolError)
    }

    @Test func nothingIsProcessedAfterClose() {
        let bytes = RawFrame.close(1000) + RawFrame.text("late")
        var processor = WebSocketInboundProcessor(options: .make())
        #expect(processor.process(bytes).events == [.close(.normalClosure, "")])
        #expect(processor.process(RawFrame.text("later")).events.isEmpty)
    }

    struct CloseCase: Sendable, CustomTestStringConvertible {
        var payload: [UInt8]
        var result: WebSocketInboundProcessor.Event?
        var error: WebSocketError?
        var testDescription: String { "close \(payload.prefix(2))" }
    }

    /// §5.5.1 and §7.4: valid codes are echoed; 1004/1005/1006/1015, unassigned and out-of-range
    /// codes and a one-byte body are protocol errors; a reason that is not UTF-8 is 1007.
    static let closeCases: [CloseCase] = [
        CloseCase(payload: [], result: .close(nil, "")),
        CloseCase(payload: [0x03, 0xE8], result: .close(.normalClosure, "")),
        CloseCase(payload: [0x03, 0xE8] + Array("done".utf8), result: .close(.normalClosure, "done")),
        CloseCase(payload: [0x0B, 0xB8], result: .close(WebSocketCloseCode(3000), "")),
        CloseCase(payload: [0x13, 0x87], result: .close(WebSocketCloseCode(4999), "")),
        CloseCase(payload: [0x03, 0xF3], result: .close(.internalError, "")),
        CloseCase(payload: [0x03], error: .protocolViolation("close payload of one byte")),
        CloseCase(payload: [0x00, 0x00], error: .protocolViolation("invalid close code 0")),
        CloseCase(payload: [0x03, 0xE7], error: .protocolViolation("invalid close code 999")),
        CloseCase(payload: [0x03, 0xEC], error: .protocolViolation("invalid close code 1004")),
        CloseCase(payload: [0x03, 0xED], error: .protocolViolation("invalid close code 1005")),
        CloseCase(payload: [0x03, 0xEE], error: .protocolViolation("invalid close code 1006")),
        CloseCase(payload: [0x03, 0xF7], error: .protocolViolation("invalid close code 1015")),
        CloseCase(payload: [0x07, 0xD0], error: .protocolViolation("invalid close code 2000")),
        CloseCase(payload: [0x13, 0x88], error: .protocolViolation("invalid close code 5000")),
        CloseCase(payload: [0xFF, 0xFF], error: .protocolViolation("invalid close code 65535")),
        CloseCase(
            payload: [0x03, 0xE8, 0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xED, 0xA0, 0x80], error: .invalidUTF8),
    ]

    @Test(arguments: closeCases)
    func closePayload(_ c: CloseCase) {
        let (events, failure) = Feeding.run([RawFrame.client(0x8, c.payload)], options: .make())
        #expect(failure == c.error)
        if let result = c.result { #expect(events == [result]) }
    }

    /// A compressed message as the peer would send it, from zlib with the tail removed.
    static func compressedFrame(_ payload: [UInt8], fin: Bool = true) throws -> [UInt8] {
        let compressor = try PerMessageDeflateCompressor(
            windowBits: 15, memLevel: 8, level: 6, noContextTakeover: true)
        return RawFrame.client(0x2, try compressor.compress(payload), fin: fin, rsv: 4)
    }

    @Test func inflatesCompressedMessage() throws {
        let payload = Array(repeating: Array("tmi diagram ".utf8), count: 100).flatMap { $0 }
        let frame = try Self.compressedFrame(payload)
        #expect(frame.count < payload.count / 4)
        for mode in Feeding.allCases {
            let side = PerMessageDeflateRuntime.Side(maxWindowBits: 15, noContextTakeover: false)
            let (events, failure) = Feeding.run(Feeding.chunks(frame, mode), options: .make(inflate: side))
            #expect(failure == nil)
            #expect(events == [.message(.binary(payload))])
        }
    }

    /// A peer that agreed to a small window but refers 2,000 bytes back: the verdict must not
    /// depend on how the frame was cut into reads. zlib with a small window accepted it in one read
    /// and refused it byte by byte (a fuzz finding); the inflater now gives zlib fixed blocks of
    /// the message, so every cut gives the same answer. A peer that keeps to the window is
    /// accepted whatever the cut.
    @Test func theVerdictOnAMatchPastTheAgreedWindowDoesNotDependOnTheReads() throws {
        var seed: UInt32 = 12_345
        let noise = (0..<2000).map { _ -> UInt8 in
            seed = seed &* 1_103_515_245 &+ 12_345
            return UInt8(truncatingIfNeeded: seed >> 16)
        }
        let payload = noise + noise.prefix(300)
        let side = PerMessageDeflateRuntime.Side(maxWindowBits: 9, noContextTakeover: false)
        let conforming = try PerMessageDeflateCompressor(
            windowBits: 9, memLevel: 8, level: 6, noContextTakeover: true)
        let frames = [
            try Self.compressedFrame(payload),  // window 2^15: refers past the agreed 2^9
            RawFrame.client(0x2, try conforming.compress(payload), rsv: 4),
        ]
        for (index, frame) in frames.enumerated() {
            let cuts: [[[UInt8]]] =
                Feeding.allCases.map { Feeding.chunks(frame, $0) }
                + [7, 100, 1023, 1025].map { step in
                    stride(from: 0, to: frame.count, by: step).map {
                        Array(frame[$0..<min(frame.count, $0 + step)])
                    }
                }
            let outcomes = cuts.map { Feeding.run($0, options: .make(inflate: side)) }
            let first = outcomes[0]
            for outcome in outcomes.dropFirst() {
                let same = outcome.0 == first.0 && outcome.1 == first.1
                #expect(
                    same, "frame \(index): \(String(describing: outcome.1)) vs \(String(describing: first.1))"
                )
            }
            if index == 1 {
                let delivered = first.0 == [.message(.binary(payload))] && first.1 == nil
                #expect(delivered)
            }
        }
    }

    /// A zip bomb: 8 MiB of zeros compresses to ~8 KB, well under the frame limit, but inflating
    /// it must stop at the 1 MiB message limit with 1009, not allocate 8 MiB.
    @Test func zipBombIs1009() throws {
        let frame = try Self.compressedFrame([UInt8](repeating: 0, count: 8 << 20))
        #expect(frame.count < 64 * 1024)
        let side = PerMessageDeflateRuntime.Side(maxWindowBits: 15, noContextTakeover: false)
        let (events, failure) = Feeding.run([frame], options: .make(maxMessageSize: 1 << 20, inflate: side))
        #expect(events.isEmpty)
        #expect(failure == .messageTooBig)
    }

    @Test func rsv1OnContinuationIsProtocolError() throws {
        let side = PerMessageDeflateRuntime.Side(maxWindowBits: 15, noContextTakeover: false)
        let bytes = RawFrame.client(0x1, [0x61], fin: false) + RawFrame.client(0x0, [0x62], rsv: 4)
        #expect(
            Feeding.run([bytes], options: .make(inflate: side)).1
                == .protocolViolation("RSV1 on a continuation frame"))
    }
}
