/// The close handshake and keepalive of one connection as a plain value (RFC 6455 §5.5, §7).
///
/// Each event method returns what the connection must do; the connection performs the I/O and
/// owns the timers, so every transition is tested without sockets or sleeping.
struct WebSocketStateMachine: Sendable {
    enum State: Sendable, Equatable {
        case open
        /// We sent a close frame and wait for the peer's (§7.1.2), under a close timeout.
        case closing(sent: WebSocketCloseInfo)
        case closed(WebSocketCloseInfo)
    }

    enum CloseAction: Sendable, Equatable {
        /// Queue a close frame. With `thenFinish` the handshake is over (or abandoned): flush and
        /// close the stream; otherwise wait for the peer's close frame.
        case sendClose(code: WebSocketCloseCode?, reason: String, thenFinish: Bool)
        /// Flush what is queued and close the stream.
        case finish
        case none
    }

    private(set) var state: State = .open
    /// Payload of the ping we wait a pong for.
    private var outstandingPing: [UInt8]?
    private var pingCounter: UInt64 = 0

    init() {}

    /// Data frames may be sent only while open: §5.5.1 forbids data after our close frame.
    var canSendData: Bool { state == .open }

    var closeInfo: WebSocketCloseInfo? {
        if case .closed(let info) = state { return info }
        return nil
    }

    /// The application (or the server shutting down) closes the connection.
    mutating func close(code: WebSocketCloseCode, reason: String) -> CloseAction {
        guard state == .open else { return .none }
        state = .closing(sent: WebSocketCloseInfo(code: code, reason: reason, initiatedByPeer: false))
        return .sendClose(code: code, reason: reason, thenFinish: false)
    }

    /// A valid close frame arrived (its body already validated).
    mutating func receivedClose(code: WebSocketCloseCode?, reason: String) -> CloseAction {
        switch state {
        case .open:
            // §5.5.1: answer with a close frame, typically echoing the code; the server then
            // closes the TCP connection first (§7.1.1).
            state = .closed(
                WebSocketCloseInfo(code: code ?? .noStatusReceived, reason: reason, initiatedByPeer: true))
            return .sendClose(code: code, reason: "", thenFinish: true)
        case .closing(let sent):
            state = .closed(
                WebSocketCloseInfo(
                    code: code ?? .noStatusReceived, reason: reason, initiatedByPeer: sent.initiatedByPeer))
            return .finish
        case .closed:
            return .none
        }
    }

    /// The peer broke the protocol, or a local limit was hit: _Fail the WebSocket Connection_
    /// (§7.1.7): send a close frame with the error's code and close without waiting for a reply.
    mutating func failed(_ error: WebSocketError) -> CloseAction {
        let info = WebSocketCloseInfo(
            code: error.closeCode, reason: error.closeReason, initiatedByPeer: false)
        switch state {
        case .open:
            state = .closed(info)
            return .sendClose(code: error.closeCode, reason: error.closeReason, thenFinish: true)
        case .closing:
            state = .closed(info)
            return .finish
        case .closed:
            return .none
        }
    }

    /// The close timeout passed without the peer's close frame (§7.1.1 lets us drop the stream).
    mutating func closeTimedOut() -> CloseAction {
        switch state {
        case .closing(let sent):
            state = .closed(
                WebSocketCloseInfo(code: .abnormalClosure, reason: sent.reason, initiatedByPeer: false))
            return .finish
        case .open:
            state = .closed(WebSocketCloseInfo(code: .abnormalClosure, initiatedByPeer: false))
            return .finish
        case .closed:
            return .finish
        }
    }

    /// The stream ended or failed: the connection is closed, abnormally unless already closed (§7.1.5).
    mutating func streamEnded() {
        switch state {
        case .open, .closing:
            state = .closed(WebSocketCloseInfo(code: .abnormalClosure, initiatedByPeer: true))
        case .closed:
            break
        }
    }

    /// §5.5.2: a ping is answered with a pong carrying the same payload, unless we are closing.
    mutating func receivedPing(_ payload: [UInt8]) -> [UInt8]? {
        state == .open ? payload : nil
    }

    /// §5.5.3: an unsolicited pong is allowed and ignored; only the awaited payload counts.
    mutating func receivedPong(_ payload: [UInt8]) {
        if payload == outstandingPing { outstandingPing = nil }
    }

    /// The keepalive interval passed: the payload of a ping to send, or nil when not open.
    mutating func keepaliveTick() -> [UInt8]? {
        guard state == .open else { return nil }
        pingCounter &+= 1
        let payload = withUnsafeBytes(of: pingCounter.bigEndian) { Array($0) }
        outstandingPing = payload
        return payload
    }

    /// The pong deadline passed: a peer that has not answered is treated as gone (1001) and the
    /// stream is dropped after the close frame, since a dead peer will not answer it either.
    mutating func pongDeadlinePassed() -> CloseAction {
        guard state == .open, outstandingPing != nil else { return .none }
        let reason = "ping timeout"
        state = .closed(WebSocketCloseInfo(code: .goingAway, reason: reason, initiatedByPeer: false))
        return .sendClose(code: .goingAway, reason: reason, thenFinish: true)
    }
}
