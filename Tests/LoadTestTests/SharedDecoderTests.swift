import Testing

@testable import LoadTestKit

@Suite struct SharedDecoderTests {
    static let op = Array(
        #"{"message_type":"diagram_operation","operation_id":"x","update_vector":7,"initiating_user":{"user_id":"u"},"operation":{"type":"patch","cells":[{"id":"c","operation":"remove"}]}}"#
            .utf8)

    @Test func aBroadcastIsDecodedOnceForEveryEditorOfTheDiagram() {
        let decoder = SharedDecoder(readers: 3)
        let expected = SessionMessage.parse(bytes: Self.op)
        #expect(expected != nil)
        for _ in 0..<3 { #expect(decoder.decode(Array(Self.op)) == expected) }
        #expect(decoder.decodeCount == 1)
    }

    @Test func differentBytesAreNeverTakenForACachedMessage() {
        let decoder = SharedDecoder(readers: 2)
        var other = Self.op
        // Same length, one byte different: the operation id "x" becomes "y".
        let index = other.firstIndex(of: UInt8(ascii: "x"))!
        other[index] = UInt8(ascii: "y")
        _ = decoder.decode(Self.op)
        guard case .operation(let id, _, _, _)? = decoder.decode(other) else {
            Issue.record("not decoded as an operation")
            return
        }
        #expect(id == "y")
        #expect(decoder.decodeCount == 2)
    }

    /// Equal bytes hash alike and compare equal at every length (the hash's four-lane blocks, its
    /// eight-byte words and its tail); one changed byte anywhere makes them unequal.
    @Test func equalityAndHashAgreeAtEveryLengthAndPosition() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let copy = Array(bytes)
            #expect(SharedDecoder.equal(bytes, copy))
            #expect(SharedDecoder.hash(bytes) == SharedDecoder.hash(copy))
            #expect(!SharedDecoder.equal(bytes, bytes + [0]))
            for i in bytes.indices {
                var changed = bytes
                changed[i] ^= 0x40
                #expect(!SharedDecoder.equal(bytes, changed), "length \(length), byte \(i)")
            }
        }
    }

    @Test func unparseableBytesDecodeToNilEveryTime() {
        let decoder = SharedDecoder(readers: 4)
        #expect(decoder.decode(Array("not json".utf8)) == nil)
        #expect(decoder.decode(Array("not json".utf8)) == nil)
    }

    @Test func oldEntriesAreEvictedPastCapacityAndDecodedAgain() {
        let decoder = SharedDecoder(readers: 2, capacity: 16)
        let messages = (0..<200).map { i in
            Array(#"{"message_type":"resync_response","n":\#(i)}"#.utf8)
        }
        for m in messages { #expect(decoder.decode(m) == .resyncResponse) }
        #expect(decoder.decodeCount == 200)
        // The first one is long gone: decoded again, still correctly.
        #expect(decoder.decode(messages[0]) == .resyncResponse)
        #expect(decoder.decodeCount == 201)
        // The newest is still there.
        #expect(decoder.decode(messages[199]) == .resyncResponse)
        #expect(decoder.decodeCount == 201)
    }
}
