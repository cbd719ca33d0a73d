import SessionActors
import WireProtocol

/// A session participant reached over a WebSocket connection. `send` only enqueues onto the
/// connection's bounded outbox (a reader that falls behind is closed by the connection, 1008);
/// it never suspends, so a slow client cannot delay a broadcast.
struct WebSocketOutbox: ParticipantOutbox {
    let connection: WebSocketConnection

    /// The message's frames are made by the first participant's send and shared by all (plain,
    /// and compressed once per compressor setting, `WebSocketSharedFrame`).
    func send(_ message: SharedMessage) {
        try? connection.send(
            message.encoded { WebSocketSharedFrame(WebSocketMessage(kind: .text, bytes: $0)) })
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
