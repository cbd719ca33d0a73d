import Synchronization

/// One open WebSocket connection, server or client side (RFC 6455).
///
/// The application iterates `messages` (from one task) and sends with `send(...)` (from any
/// task). Sending never waits for the peer: frames go to a bounded outbox that one writer drains,
/// coalescing everything queued into one vectored write. A peer that stops reading until the
/// outbox passes `WebSocketConfiguration.outboxLimit` is closed with 1008. To broadcast, encode
/// once with `EncodedFrame` and `send` it to every connection: they share one buffer.
///
/// An idle connection holds one task (its reader); the writer runs only while frames wait, and
/// timeouts live in a deadline heap shared per clock.
///
/// Control frames are handled internally: pings are answered, the close handshake is completed,
/// keepalive pings are sent on the configured interval.
///
/// ```swift
/// let response = WebSocketUpgrade.respond(to: request) { ws in
///     for await message in ws.messages {
///         try? ws.send(message)          // echo
///     }
/// }
/// ```
public final class WebSocketConnection: Sendable {
    /// Whether we are the server (send unmasked) or the client (send masked).
    public let role: WebSocketRole
    /// The negotiated subprotocol, if any.
    public let subprotocol: String?
    /// The negotiated permessage-deflate parameters, nil when uncompressed.
    public let compression: PerMessageDeflateParameters?
    /// The peer's address, for logs.
    public var peerDescription: String { stream.peerDescription }

    let stream: any ByteStream
    let configuration: WebSocketConfiguration
    let deflate: PerMessageDeflateRuntime?
    /// Bytes already read past the handshake (client side), processed before reading more.
    let initialBytes: [UInt8]
    let state: Mutex<SharedState>
    let inbox: WebSocketInbox
    let timers: WebSocketTimers
    /// Fired when the writer has flushed the last frame and closed the stream.
    let writerDone = WebSocketSignal()
    /// Fired when the connection's I/O is over.
    let ended = WebSocketSignal()
    /// The I/O loop the connection was opened on (its reader runs there): the writer runs there
    /// too, whichever task sends.
    let loop: Poller? = Poller.current

    /// State shared by the reader, the writer, the timers and senders, behind one lock.
    struct SharedState {
        var machine = WebSocketStateMachine()
        var outbox: [[UInt8]] = []
        var outboxBytes = 0
        /// Flush the outbox, then close the stream; nothing more is queued.
        var finishAfterFlush = false
        /// `run` has started: the writer may be started and timers armed.
        var running = false
        /// A writer task is draining the outbox. It exists only while there is something to
        /// write, so an idle connection holds one task (its reader), not two.
        var writerActive = false
        var closeTimerStarted = false
        var closeTimer: UInt64?
        var keepaliveTimer: UInt64?
        var ioEnded = false
        /// Created on the first compressed message, so an idle connection holds no zlib state.
        var compressor: PerMessageDeflateCompressor?
        /// The outbox overflowed: the peer is being closed for not reading (see `sendFailed`).
        var peerNotReading = false
        /// When the writer last wrote (only kept with `writeCoalescing`).
        var lastWrite: ContinuousClock.Instant?
    }

    /// Holds writes back for `configuration.writeCoalescing`; nil when not coalescing.
    let coalescer: WebSocketWriteCoalescer?

    init(
        stream: any ByteStream, role: WebSocketRole, configuration: WebSocketConfiguration,
        subprotocol: String? = nil, compression: PerMessageDeflateParameters? = nil,
        deflate: PerMessageDeflateRuntime? = nil, initialBytes: [UInt8] = []
    ) {
        self.stream = stream
        self.role = role
        self.configuration = configuration
        self.subprotocol = subprotocol
        self.compression = compression
        self.deflate = deflate
        self.initialBytes = initialBytes
        self.state = Mutex(SharedState())
        self.inbox = WebSocketInbox(capacity: configuration.inboxCapacity)
        self.timers = WebSocketTimers.service(for: configuration.clock)
        self.coalescer =
            if role == .server, let delay = configuration.writeCoalescing, delay > .zero {
                WebSocketWriteCoalescer.coalescer(loop: Poller.current, delay: delay)
            } else { nil }
    }

    /// The received text and binary messages, in order. Ends when the connection closes.
    /// Iterate from one task only.
    public var messages: Messages { Messages(inbox: inbox) }

    /// The received messages queued so far (at most `limit`, at least one: it waits for one when
    /// none is queued), in order; empty once the connection has closed and every message was
    /// taken. For consumers that handle messages in bulk; use either this or `messages`, from one
    /// task only.
    public func nextMessages(upTo limit: Int) async -> [WebSocketMessage] {
        await inbox.nextBatch(limit: max(1, limit))
    }

    /// How the connection closed; nil while it is open or closing.
    public var closeInfo: WebSocketCloseInfo? { state.withLock { $0.machine.closeInfo } }

    /// Waits until the connection's I/O has ended, then returns how it closed.
    public func waitUntilClosed() async -> WebSocketCloseInfo {
        await ended.wait()
        return closeInfo ?? WebSocketCloseInfo(code: .abnormalClosure, initiatedByPeer: false)
    }

    /// Sends a text message.
    public func send(text: String) throws(WebSocketError) {
        try send(opcode: .text, payload: Array(text.utf8))
    }

    /// Sends a binary message.
    public func send(binary: [UInt8]) throws(WebSocketError) {
        try send(opcode: .binary, payload: binary)
    }

    /// Sends a message of either kind.
    public func send(_ message: WebSocketMessage) throws(WebSocketError) {
        try send(opcode: message.kind == .text ? .text : .binary, payload: message.bytes)
    }

    /// Sends an already-encoded frame. On a server connection the frame's bytes are queued as
    /// they are, shared with every other connection it is sent to.
    public func send(_ frame: EncodedFrame) throws(WebSocketError) {
        switch role {
        case .server:
            try enqueue(frame.bytes)
        case .client:
            let bytes = frame.payload.withUnsafeBytes {
                WebSocketFrameEncoder.encode(opcode: frame.opcode, payload: $0, maskingKey: .random())
            }
            try enqueue(bytes)
        }
    }

    /// Starts the close handshake (§7.1.2): sends a close frame and waits, at most
    /// `closeTimeout`, for the peer's. Further sends fail; `messages` ends once closed.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") {
        perform { $0.machine.close(code: code, reason: reason) }
    }

    private var maskingKey: WebSocketMaskingKey? { role == .client ? .random() : nil }

    private func send(opcode: WebSocketOpcode, payload: [UInt8]) throws(WebSocketError) {
        if let deflate, payload.count >= deflate.minimumSize {
            let key = maskingKey
            let result: Result<Void, WebSocketError> = state.withLock { s in
                guard s.machine.canSendData else { return .failure(.connectionClosed) }
                do throws(WebSocketError) {
                    if s.compressor == nil {
                        s.compressor = try PerMessageDeflateCompressor(
                            windowBits: deflate.deflate.maxWindowBits, memLevel: deflate.memoryLevel,
                            level: deflate.compressionLevel,
                            noContextTakeover: deflate.deflate.noContextTakeover)
                    }
                    let compressed = try s.compressor?.compress(payload) ?? payload
                    // RFC 7692 §6: RSV1 on the (only) frame marks the message as compressed.
                    let bytes = WebSocketFrameEncoder.encode(
                        opcode: opcode, rsv1: true, payload: compressed, maskingKey: key)
                    return enqueueLocked(bytes, &s)
                } catch {
                    return .failure(error)
                }
            }
            try checked(result)
        } else {
            try enqueue(
                WebSocketFrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: maskingKey))
        }
    }

    func enqueue(_ bytes: [UInt8]) throws(WebSocketError) {
        try checked(state.withLock { s in enqueueLocked(bytes, &s) })
    }

    /// A failed send may have started closing (outbox overflow): start the close timer then.
    func checked(_ result: Result<Void, WebSocketError>) throws(WebSocketError) {
        if case .failure(let error) = result {
            sendFailed()
            throw error
        }
    }

    /// After a send failed: arm the close timer and, when the peer was cut off for not reading,
    /// end `messages` now. The application then lets go of the connection at once (a session
    /// removes the participant and tells the others) rather than after the close timeout, which
    /// a peer that does not read will run out: it cannot read our close frame either.
    func sendFailed() {
        startCloseTimerIfClosing()
        if state.withLock({ $0.peerNotReading }) { inbox.finish() }
    }

    /// Queues a data or control (ping/pong) frame, applying the outbox bound. Control frames obey
    /// it too: a peer flooding pings without reading is cut off. A control frame while closing is
    /// dropped quietly; data fails.
    func enqueueLocked(_ bytes: [UInt8], _ s: inout SharedState, isData: Bool = true)
        -> Result<Void, WebSocketError>
    {
        guard !s.finishAfterFlush else { return isData ? .failure(.connectionClosed) : .success(()) }
        guard !isData || s.machine.canSendData else { return .failure(.connectionClosed) }
        if !s.outbox.isEmpty && s.outboxBytes + bytes.count > configuration.outboxLimit {
            // The peer is not reading: drop what waits (whole frames only, the writer holds the
            // partially written batch) and close with 1008 rather than grow without bound.
            s.outbox.removeAll()
            s.outboxBytes = 0
            s.peerNotReading = true
            let error = WebSocketError.policyViolation("peer is not reading")
            apply(s.machine.failed(error), &s)
            return .failure(error)
        }
        s.outbox.append(bytes)
        s.outboxBytes += bytes.count
        wakeWriter(&s)
        return .success(())
    }

    /// Runs a state machine event under the lock and performs the resulting action.
    func perform(_ event: (inout SharedState) -> WebSocketStateMachine.CloseAction) {
        state.withLock { s in apply(event(&s), &s) }
        startCloseTimerIfClosing()
    }

    func apply(_ action: WebSocketStateMachine.CloseAction, _ s: inout SharedState) {
        switch action {
        case .sendClose(let code, let reason, let thenFinish):
            let payload = WebSocketFrameEncoder.closePayload(code: code, reason: reason)
            let frame = WebSocketFrameEncoder.encode(opcode: .close, payload: payload, maskingKey: maskingKey)
            s.outbox.append(frame)
            s.outboxBytes += frame.count
            if thenFinish { s.finishAfterFlush = true }
        case .finish:
            s.finishAfterFlush = true
        case .none:
            return
        }
        wakeWriter(&s)
    }

    /// Starts a writer task when there is something to write and none is running (or, when
    /// coalescing and the last write was moments ago, has the coalescer start it a little later).
    func wakeWriter(_ s: inout SharedState) {
        guard s.running, !s.writerActive, !s.outbox.isEmpty || s.finishAfterFlush else { return }
        s.writerActive = true
        if deferWrite(s) { return }
        startWriter()
    }

    /// Has the writer's turn run on the connection's loop, after the caller has let go of the
    /// state's lock: a write the socket takes at once then needs no task (`writeQueued`).
    /// Without a loop (a connection made off the I/O threads), the turn runs in a task.
    func startWriter() {
        if let loop {
            loop.runSoon { self.writeQueued() }
        } else {
            Task { self.writeQueued() }
        }
    }

    /// Whether the coalescer took the next write (`writeCoalescing`): true when this connection
    /// wrote moments ago. Closing never waits.
    func deferWrite(_ s: SharedState) -> Bool {
        guard let coalescer, !s.finishAfterFlush, let last = s.lastWrite else { return false }
        return coalescer.deferWrite(self, lastWrite: last)
    }

    /// Arms the close timer once a close frame or a finish is pending (§7.1.1: a peer that does
    /// not answer our close, or does not read our last frames, is dropped after `closeTimeout`).
    func startCloseTimerIfClosing() {
        let closing = state.withLock { s in
            if case .open = s.machine.state { return s.finishAfterFlush }
            return true
        }
        if closing { startCloseTimer() }
    }

    func startCloseTimer() {
        let start = state.withLock { s -> Bool in
            guard s.running, !s.closeTimerStarted, !s.ioEnded else { return false }
            s.closeTimerStarted = true
            return true
        }
        guard start else { return }
        // Strong, as the keepalive's (`scheduleKeepalive`); cancelled when the I/O ends (`keep`).
        keep(timers.schedule(after: configuration.closeTimeout) { self.closeTimedOut() }, as: .close)
    }
}

extension WebSocketConnection {
    /// The received messages of a connection.
    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = WebSocketMessage
        let inbox: WebSocketInbox

        public struct AsyncIterator: AsyncIteratorProtocol {
            let inbox: WebSocketInbox
            public mutating func next() async -> WebSocketMessage? { await inbox.next() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: inbox) }
    }
}
