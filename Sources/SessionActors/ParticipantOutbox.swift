import CollabCore
import Synchronization

/// One encoded server message, shared by reference among all its recipients: a broadcast is
/// encoded once and the same bytes go to every participant (DESIGN §6). Immutable but for the
/// transport's encoding, which sits behind a lock, hence Sendable.
public final class SharedMessage: Sendable {
    /// The UTF-8 JSON text of the message (one WebSocket text frame).
    public let bytes: [UInt8]
    /// The catalogue `message_type`, for logs and metrics without re-parsing.
    public let messageType: String
    /// The transport's form of `bytes` (for the gateway, the WebSocket frames), made once.
    private let wire = Mutex<(any Sendable & AnyObject)?>(nil)

    /// The transport's encoding of `bytes` (the gateway's WebSocket frame, plain and compressed),
    /// made by the first recipient's outbox and reused for every other one, so a broadcast is
    /// framed and compressed once, not once per participant, whichever sessions run at once.
    public func encoded<T: Sendable & AnyObject>(_ make: ([UInt8]) -> T) -> T {
        wire.withLock { slot in
            if let made = slot as? T { return made }
            let made = make(bytes)
            slot = made
            return made
        }
    }

    public init(bytes: [UInt8], messageType: String) {
        self.bytes = bytes
        self.messageType = messageType
    }

    convenience init(_ message: ServerMessage) {
        let json = message.json
        self.init(bytes: json.serialized(), messageType: json["message_type"]?.stringValue ?? "")
    }
}

/// Why the session closes a participant's connection; the gateway maps it to a close code.
public enum OutboxCloseReason: Sendable, Equatable {
    /// The host removed this participant (`remove_participant`); it may not rejoin this session.
    case removedByHost
    /// The session ended for everyone.
    case sessionEnded(SessionEndReason)
    /// The participant left through REST (`DELETE .../collaborate` by a non-host).
    case left
    /// The join was refused (session full, deny list, ended).
    case joinRefused(JoinRefusal)
    /// The connection kept sending faster than `SessionConfiguration.messageRate` after being told
    /// (the gateway closes it with 1008).
    case messageFlood
}

/// How a session talks to one participant: the gateway implements it over a WebSocket
/// connection, tests over an in-memory list. DESIGN §2: `SessionActors` never imports the wire.
///
/// Both calls are made from inside the session actor and must not block or suspend: `send`
/// enqueues onto the connection's bounded outbox (a connection that cannot keep up is the
/// gateway's to close, 1008/1013) and `close` starts the close. The session never awaits a
/// participant, so one slow reader cannot delay the others.
public protocol ParticipantOutbox: Sendable {
    func send(_ message: SharedMessage)
    func close(_ reason: OutboxCloseReason)
}

extension Array where Element == any ParticipantOutbox {
    /// Sends `message` to every outbox, in order.
    func send(_ message: SharedMessage) {
        for outbox in self { outbox.send(message) }
    }
}
