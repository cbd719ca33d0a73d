import Testing
import WireProtocol

@testable import LoadTestKit

@Suite struct WebSocketClientTests {
    typealias Frames = WebSocketClientFrames

    /// A server frame (unmasked).
    static func serverFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            out.append(UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            out += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            out.append(127)
            for i in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: payload.count >> (i * 8))) }
        }
        return out + payload
    }

    /// Unmasks a client frame, checking the mask bit and the minimal length form.
    static func unmask(_ frame: [UInt8]) -> (opcode: UInt8, payload: [UInt8], headerLength: Int) {
        #expect(frame[1] & 0x80 != 0, "client frames must be masked")
        var length = Int(frame[1] & 0x7F)
        var offset = 2
        if length == 126 {
            length = Int(frame[2]) << 8 | Int(frame[3])
            offset = 4
        } else if length == 127 {
            length = frame[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let key = Array(frame[offset..<(offset + 4)])
        let payload = frame[(offset + 4)...].enumerated().map { $0.element ^ key[$0.offset & 3] }
        #expect(payload.count == length)
        return (frame[0] & 0x0F, payload, offset)
    }

    @Test func sha1AndAcceptMatchKnownValues() {
        let hex = SHA1.hash(Array("abc".utf8)).map { String($0, radix: 16) }.map {
            $0.count == 1 ? "0" + $0 : $0
        }
        #expect(hex.joined() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hash([]).first == 0xda)
        // The example of RFC 6455 §1.3.
        #expect(Frames.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=")
    }

    @Test(arguments: [0, 125, 126, 65535, 65536])
    func encodesMaskedFramesAtLengthBoundaries(_ length: Int) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let frame = Frames.encode(.text, payload, maskKey: 0xA1B2_C3D4)
        let (opcode, decoded, header) = Self.unmask(frame)
        #expect(opcode == 1 && decoded == payload)
        #expect(header == (length < 126 ? 2 : length <= 65535 ? 4 : 10))
    }

    @Test(arguments: [0, 125, 126, 65535, 65536])
    func decodesServerFramesWholeAndByteByByte(_ length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let bytes = Self.serverFrame(0x1, payload) + Self.serverFrame(0x9, [1, 2])
        var whole = Frames.Decoder()
        whole.feed(bytes[...])
        #expect(try whole.next() == .init(fin: true, opcode: .text, payload: payload))
        #expect(try whole.next()?.opcode == .ping)
        #expect(try whole.next() == nil)
        if length <= 126 {
            var split = Frames.Decoder()
            var frames: [Frames.Frame] = []
            for b in bytes {
                split.feed([b][...])
                while let f = try split.next() { frames.append(f) }
            }
            #expect(frames.map(\.payload) == [payload, [1, 2]])
        }
    }

    @Test func rejectsWhatAClientMustRefuse() {
        func decode(_ bytes: [UInt8]) -> Frames.ProtocolError? {
            var d = Frames.Decoder()
            d.feed(bytes[...])
            do {
                _ = try d.next()
                return nil
            } catch { return error }
        }
        #expect(decode([0x81, 0x81, 1, 2, 3, 4, 0]) == .maskedServerFrame)
        #expect(decode([0xC1, 0x00]) == .reservedBits)
        #expect(decode([0x83, 0x00]) == .unknownOpcode(3))
        #expect(decode([0x09, 0x00]) == .badControlFrame)  // fragmented ping
        #expect(decode([0x89, 126, 0, 126] + [UInt8](repeating: 0, count: 126)) == .badControlFrame)
    }

    @Test func linkReassemblesAnswersPingsAndCloses() async throws {
        let pipe = PipeStream()
        let link = WebSocketLink(stream: pipe)
        pipe.push(
            Self.serverFrame(0x1, Array("hel".utf8), fin: false) + Self.serverFrame(0x9, [7])
                + Self.serverFrame(0x0, Array("lo".utf8)))
        #expect(try await link.receive() == "hello")
        // The ping in the middle of the fragmented message was answered with a masked pong.
        let pong = Self.unmask(pipe.written)
        #expect(pong.opcode == 0xA && pong.payload == [7])
        try await link.send(text: "{}")
        pipe.push(Self.serverFrame(0x8, [0x03, 0xE8]))
        #expect(try await link.receive() == nil)
        #expect(pipe.isClosed)
        await #expect(throws: (any Error).self) { try await link.send(text: "late") }
    }

    @Test func endOfStreamEndsReceive() async throws {
        let pipe = PipeStream()
        let link = WebSocketLink(stream: pipe)
        pipe.pushEOF()
        #expect(try await link.receive() == nil)
    }
}
