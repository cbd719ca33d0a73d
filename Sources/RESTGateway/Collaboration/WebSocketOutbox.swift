import SessionActors
import Synchronization
import WireProtocol

/// A session participant reached over a WebSocket connection. `send` only enqueues onto the
/// connection's bounded outbox (a reader that falls behind is closed by the connection, 1008);
/// it never suspends, so a slow client cannot delay a broadcast.
struct WebSocketOutbox: ParticipantOutbox {
    let connection: WebSocketConnection
    let frames: FrameCache

    func send(_ message: SharedMessage) {
        try? connection.send(frames.frame(for: message))
    }

    func close(_ reason: OutboxCloseReason) {
        switch reason {
        case .left:
            connection.close(code: .normalClosure, reason: "left the session")
        case .removedByHost:
            connection.close(code: .policyViolation, reason: "removed by the host")
        case .sessionEnded(.ownershipLost):
            // 1012: reconnect; the next connection reaches the diagram's new owner (docs/cluster.md).
            connection.close(code: .serviceRestart, reason: "session moved: reconnect")
        case .sessionEnded(let why):
            connection.close(code: .goingAway, reason: "session ended: \(why.rawValue)")
        case .joinRefused(.sessionFull):
            connection.close(code: WebSocketCloseCode(1013), reason: "session full")
        case .joinRefused(let why):
            connection.close(code: .policyViolation, reason: why.rawValue)
        case .messageFlood:
            connection.close(code: .policyViolation, reason: "message rate exceeded")
        }
    }
}

/// Encodes each broadcast message into a WebSocket frame once: a session hands the same
/// `SharedMessage` to every participant in turn, so remembering the last one is enough for the
/// frame bytes to be shared by all connections (no per-connection copy or re-encode).
final class FrameCache: Sendable {
    private let last = Mutex<(message: SharedMessage, frame: EncodedFrame)?>(nil)

    func frame(for message: SharedMessage) -> EncodedFrame {
        if let hit = last.withLock({ $0?.message === message ? $0?.frame : nil }) { return hit }
        let frame = EncodedFrame(.init(kind: .text, bytes: message.bytes))
        last.withLock { $0 = (message, frame) }
        return frame
    }
}
