/// The connection's tasks: one reader, one writer, the keepalive and the close timer.
extension WebSocketConnection {
    /// Runs the connection until it is closed and `handler` has returned (call it once). When
    /// the handler returns first, the connection is closed with 1000. The handler should iterate
    /// `messages`: the reader waits while received messages are not taken (backpressure).
    public func run(_ handler: @Sendable (WebSocketConnection) async -> Void) async {
        await withTaskGroup(of: Void.self) { outer in
            outer.addTask { await self.runIO() }
            await handler(self)
            inbox.abandon()
            close(code: .normalClosure)
            await outer.waitForAll()
        }
    }

    /// Reads until the stream ends, then waits for the writer to flush and close. The reader
    /// runs in this task; the writer and the timers exist only while they have work.
    func runIO() async {
        state.withLock { s in
            s.running = true
            wakeWriter(&s)
        }
        startCloseTimerIfClosing()
        scheduleKeepalive()
        await readLoop()
        state.withLock { s in
            s.finishAfterFlush = true
            wakeWriter(&s)
        }
        await writerDone.wait()
        let pending = state.withLock { s in
            s.ioEnded = true
            return [s.keepaliveTimer, s.closeTimer]
        }
        for id in pending.compactMap({ $0 }) { timers.cancel(id) }
        inbox.finish()
        ended.fire()
    }

    private func readLoop() async {
        defer { inbox.finish() }
        var processor = WebSocketInboundProcessor(
            options: .init(
                role: role, maxFrameSize: configuration.maxFrameSize,
                maxMessageSize: configuration.maxMessageSize,
                acceptsBinary: configuration.acceptsBinary, inflate: deflate?.inflate))
        var buffer = initialBytes
        var count = buffer.count
        // Small while idle (every idle socket holds one, issue 15); it doubles while reads fill it.
        let maximumBuffer = 256 * 1024
        let minimumBuffer = min(max(configuration.minimumReadBuffer, 64), maximumBuffer)
        while true {
            if count > 0 {
                let (events, failure) = buffer.withUnsafeMutableBytes { processor.process($0, count: count) }
                if await !handle(events) { return }
                if let failure {
                    // Replies to the messages before the bad frame go out before our close frame.
                    // The close timer bounds the wait for an application that never reads.
                    startCloseTimer()
                    await inbox.waitUntilIdle()
                    perform { $0.machine.failed(failure) }
                    return
                }
            }
            // Grow the buffer while reads fill it (bulk transfer). A read that left it less than
            // half full drained the socket: the peer paused, so go back to the small buffer now
            // rather than hold a large one through a long idle wait (issue 15).
            if count == buffer.count && count < maximumBuffer {
                buffer = [UInt8](repeating: 0, count: max(minimumBuffer, count * 2))
            } else if buffer.count > minimumBuffer && count < buffer.count / 2 {
                buffer = [UInt8](repeating: 0, count: minimumBuffer)
            }
            do {
                count = try await stream.read(into: &buffer)
            } catch {
                count = 0
            }
            if count == 0 {
                streamEnded()
                return
            }
        }
    }

    /// Acts on decoded events; false when reading must stop (a close frame arrived).
    private func handle(_ events: [WebSocketInboundProcessor.Event]) async -> Bool {
        for event in events {
            switch event {
            case .message(let message):
                // Messages after our close frame are discarded: the application asked to stop.
                guard state.withLock({ $0.machine.canSendData }) else { continue }
                await inbox.push(message)
            case .ping(let payload):
                let key: WebSocketMaskingKey? = role == .client ? .random() : nil
                let result = state.withLock { s -> Result<Void, WebSocketError> in
                    guard let pong = s.machine.receivedPing(payload) else { return .success(()) }
                    return enqueueLocked(
                        WebSocketFrameEncoder.encode(opcode: .pong, payload: pong, maskingKey: key), &s,
                        isData: false)
                }
                if case .failure = result { sendFailed() }
            case .pong(let payload):
                state.withLock { $0.machine.receivedPong(payload) }
            case .close(let code, let reason):
                // As for failures: the application handles what came before the close first.
                startCloseTimer()
                await inbox.waitUntilIdle()
                perform { $0.machine.receivedClose(code: code, reason: reason) }
                return false
            }
        }
        return true
    }

    private func streamEnded() {
        state.withLock { s in
            s.machine.streamEnded()
            s.outbox.removeAll()
            s.outboxBytes = 0
            s.finishAfterFlush = true
            wakeWriter(&s)
        }
        stream.close()
    }

    private enum WriterStep {
        case write([[UInt8]])
        case finish
    }

    /// The writer's next step, under the lock: the queued frames, the close, or nothing (the
    /// outbox is empty and the writer is no longer active, or the coalescer deferred the write).
    /// `wrote`: the writer has just written, which is when the coalescer's delay counts from.
    private func nextWriterStep(wrote: Bool) -> WriterStep? {
        let now: ContinuousClock.Instant? = wrote && coalescer != nil ? .now : nil
        if now != nil { coalescer?.recordWrite() }
        return state.withLock { s -> WriterStep? in
            if let now { s.lastWrite = now }
            if !s.outbox.isEmpty, deferWrite(s) { return nil }
            if !s.outbox.isEmpty {
                let batch = s.outbox
                s.outbox = []
                s.outboxBytes = 0
                return .write(batch)
            }
            if s.finishAfterFlush { return .finish }
            s.writerActive = false
            return nil
        }
    }

    /// The writer's turn, with the writer marked active: writes the queued frames, coalesced into
    /// one vectored write per round, while the stream takes them without waiting. Returns what
    /// it could not write that way (the rest of a batch the socket took only part of, or a whole
    /// batch for a stream that cannot write without waiting, TLS) for `writeInTask`; nil when the
    /// outbox is empty (the writer is then inactive), the coalescer deferred the write (it stays
    /// active until the tick), or the connection finished (the stream is then closed).
    /// `afterWrite`: a write has just completed, which is when the coalescer's delay counts from.
    func writeAvailable(afterWrite: Bool = false) -> [[UInt8]]? {
        var wrote = afterWrite
        while true {
            switch nextWriterStep(wrote: wrote) {
            case .write(let batch):
                wrote = true
                let written: Int?
                do {
                    written = try stream.writeNow(vectored: batch)
                } catch {
                    // The next step finishes: `streamEnded` emptied the outbox.
                    streamEnded()
                    continue
                }
                guard let written else { return batch }
                if written < batch.reduce(0, { $0 + $1.count }) { return Self.dropping(written, from: batch) }
            case .finish:
                finishWriting()
                return nil
            case nil:
                return nil
            }
        }
    }

    /// The writer's turn without a task (from `startWriter` on the connection's loop, or the
    /// coalescer's tick): a task is made only for what the stream does not take at once. Each
    /// write of a busy connection made a task before: about 60,000 a second with 500 editors on
    /// one diagram (issue 15).
    func writeQueued() {
        if let rest = writeAvailable() { writeInTask(rest) }
    }

    /// Unstructured on purpose: the writer lives only while frames wait (see `writerActive`);
    /// `runIO` waits for it through `writerDone` before the connection ends. Writes `pending`,
    /// waiting for the stream as long as it takes, then takes the writer's turn again, until the
    /// turn leaves nothing that must wait.
    func writeInTask(_ pending: [[UInt8]]) {
        Task(executorPreference: loop) { await self.writeWaiting(pending) }
    }

    private func writeWaiting(_ first: [[UInt8]]) async {
        var pending = first
        while true {
            do {
                try await stream.write(vectored: pending)
            } catch {
                streamEnded()
            }
            guard let more = writeAvailable(afterWrite: true) else { return }
            pending = more
        }
    }

    /// The last frame went out: close the stream and let `runIO` finish.
    private func finishWriting() {
        stream.close()
        writerDone.fire()
    }

    /// `buffers` without their first `count` bytes.
    static func dropping(_ count: Int, from buffers: [[UInt8]]) -> [[UInt8]] {
        var left = count
        var index = 0
        while index < buffers.count, left >= buffers[index].count {
            left -= buffers[index].count
            index += 1
        }
        guard index < buffers.count else { return [] }
        var rest = Array(buffers[index...])
        if left > 0 { rest[0] = Array(rest[0][left...]) }
        return rest
    }

    /// The timers' actions hold the connection strongly, not `[weak self]`: a weak reference
    /// gives the object a side table, and every retain and release of it then takes the runtime's
    /// slow path, on every broadcast a session sends it (about 5 % of the server's samples with
    /// 500 editors, issue 15). No cycle outlives the connection: `run` cancels its timers when
    /// the I/O ends, and a cancel drops the action at once (`WebSocketTimers`); see `keep`.
    private func scheduleKeepalive() {
        guard let interval = configuration.pingInterval else { return }
        keep(timers.schedule(after: interval) { self.keepaliveFired() }, as: .keepalive)
    }

    /// Which timer id of the state `keep` records.
    enum TimerSlot { case keepalive, close }

    /// Records a timer's id where `run` cancels it when the I/O ends; if that end already
    /// passed (a timer scheduled in a race with it), cancels it now. Both sides look under the
    /// state's lock, so no timer is left holding the connection.
    func keep(_ id: UInt64, as slot: TimerSlot) {
        let ended = state.withLock { s in
            switch slot {
            case .keepalive: s.keepaliveTimer = id
            case .close: s.closeTimer = id
            }
            return s.ioEnded
        }
        if ended { timers.cancel(id) }
    }

    /// The ping interval passed: send a ping and check for its pong after `pongTimeout`.
    private func keepaliveFired() {
        let key: WebSocketMaskingKey? = role == .client ? .random() : nil
        let sent = state.withLock { s -> Bool in
            guard !s.ioEnded, let payload = s.machine.keepaliveTick() else { return false }
            let ping = WebSocketFrameEncoder.encode(opcode: .ping, payload: payload, maskingKey: key)
            if case .failure = enqueueLocked(ping, &s, isData: false) { return false }
            return true
        }
        sendFailed()
        guard sent else { return }
        keep(
            timers.schedule(after: configuration.pongTimeout) { self.pongDeadlinePassed() },
            as: .keepalive)
    }

    private func pongDeadlinePassed() {
        perform { $0.machine.pongDeadlinePassed() }
        if state.withLock({ $0.machine.canSendData && !$0.ioEnded }) { scheduleKeepalive() }
    }

    /// The peer never answered our close, or never read our last frames: drop the stream.
    func closeTimedOut() {
        state.withLock { s in
            _ = s.machine.closeTimedOut()
            s.outbox.removeAll()
            s.outboxBytes = 0
            s.finishAfterFlush = true
            wakeWriter(&s)
        }
        stream.close()
        inbox.finish()
    }
}
