import Synchronization
import Testing

@testable import SessionActors

/// The transport's encoding of a broadcast is made once, by the first recipient, and every other
/// recipient gets that same object (issue 15: frame once, not once per participant).
@Suite struct SharedMessageTests {
    final class Frame: Sendable {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    @Test func encodedOnceForAllRecipients() {
        let message = SharedMessage(
            bytes: Array(#"{"message_type":"diagram_operation"}"#.utf8), messageType: "diagram_operation")
        let made = Mutex(0)
        let frames = (0..<500).map { _ in
            message.encoded { bytes -> Frame in
                made.withLock { $0 += 1 }
                return Frame(bytes)
            }
        }
        #expect(made.withLock { $0 } == 1)
        #expect(frames.allSatisfy { $0 === frames[0] })
        #expect(frames[0].bytes == message.bytes)
    }
}
