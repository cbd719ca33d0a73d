/// The connection's tasks: one reader, one writer, the keepalive and the close timer.
extension WebSocketConnection {
    /// Runs the connection until it is closed and `handler` has returned. When the handler
    /// returns first, the connection is closed with 1000.
    public func run(_ handler: @Sendable (WebSocketConnection) async -> Void) async {
        await withTaskGroup(of: Void.self) { outer in
            outer.addTask { await self.runIO() }
            await handler(self)
            inbox.abandon()
            close(code: .normalClosure)
            await outer.waitForAll()
        }
    }

    /// Runs the reader, writer and timers until the stream is closed.
    func runIO() async {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.readLoop()
                return true
            }
            group.addTask {
                await self.writeLoop()
                return true
            }
            group.addTask {
                await self.keepaliveLoop()
                return false
            }
            group.addTask {
                await self.closeTimerLoop()
                return false
            }
            var ioDone = 0
            for await isIO in group where isIO {
                ioDone += 1
                if ioDone == 2 { group.cancelAll() }
            }
        }
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
        let minimumBuffer = 2048
        let maximumBuffer = 256 * 1024
        while true {
            if count > 0 {
                let (events, failure) = buffer.withUnsafeMutableBytes { processor.process($0, count: count) }
                if await !handle(events) { return }
                if let failure {
                    // Replies to the messages before the bad frame go out before our close frame.
                    // The close timer bounds the wait for an application that never reads.
                    closeStarted.fire()
                    await inbox.waitUntilIdle()
                    perform { $0.machine.failed(failure) }
                    return
                }
            }
            // Grow the buffer while reads fill it (bulk transfer), shrink it back when idle.
            if count == buffer.count && count < maximumBuffer {
                buffer = [UInt8](repeating: 0, count: max(minimumBuffer, count * 2))
            } else if buffer.count > minimumBuffer && count < buffer.count / 8 {
                buffer = [UInt8](repeating: 0, count: max(minimumBuffer, buffer.count / 2))
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
                    return enqueuePong(
                        WebSocketFrameEncoder.encode(opcode: .pong, payload: pong, maskingKey: key), &s)
                }
                if case .failure = result { signalIfClosing() }
            case .pong(let payload):
                state.withLock { $0.machine.receivedPong(payload) }
            case .close(let code, let reason):
                // As for failures: the application handles what came before the close first.
                closeStarted.fire()
                await inbox.waitUntilIdle()
                perform { $0.machine.receivedClose(code: code, reason: reason) }
                return false
            }
        }
        return true
    }

    private func enqueuePong(_ bytes: [UInt8], _ s: inout SharedState) -> Result<Void, WebSocketError> {
        // Pongs obey the same bound as data: a peer flooding pings without reading is cut off.
        guard !s.finishAfterFlush else { return .success(()) }
        if !s.outbox.isEmpty && s.outboxBytes + bytes.count > configuration.outboxLimit {
            s.outbox.removeAll()
            s.outboxBytes = 0
            let error = WebSocketError.policyViolation("peer is not reading")
            apply(s.machine.failed(error), &s)
            return .failure(error)
        }
        s.outbox.append(bytes)
        s.outboxBytes += bytes.count
        wakeWriter(&s)
        return .success(())
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

    private func writeLoop() async {
        while true {
            switch await nextWriterStep() {
            case .write(let batch):
                do {
                    if batch.count == 1 {
                        try await stream.write(batch[0])
                    } else {
                        try await stream.write(vectored: batch)
                    }
                } catch {
                    streamEnded()
                    return
                }
            case .finish:
                stream.close()
                return
            }
        }
    }

    private func nextWriterStep() async -> WriterStep {
        while true {
            let step = state.withLock { s -> WriterStep? in
                if !s.outbox.isEmpty {
                    let batch = s.outbox
                    s.outbox = []
                    s.outboxBytes = 0
                    return .write(batch)
                }
                return s.finishAfterFlush ? .finish : nil
            }
            if let step { return step }
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.outbox.isEmpty || s.finishAfterFlush { return true }
                    s.writer = cont
                    return false
                }
                if ready { cont.resume() }
            }
        }
    }

    private func keepaliveLoop() async {
        guard let interval = configuration.pingInterval else { return }
        let clock = configuration.clock
        let key: WebSocketMaskingKey? = role == .client ? .random() : nil
        while true {
            do { try await clock.sleep(for: interval) } catch { return }
            let sent = state.withLock { s -> Bool in
                guard let payload = s.machine.keepaliveTick() else { return false }
                let ping = WebSocketFrameEncoder.encode(opcode: .ping, payload: payload, maskingKey: key)
                if case .failure = enqueuePong(ping, &s) { return false }
                return true
            }
            signalIfClosing()
            guard sent else {
                if state.withLock({ !$0.machine.canSendData }) { return }
                continue
            }
            do { try await clock.sleep(for: configuration.pongTimeout) } catch { return }
            perform { $0.machine.pongDeadlinePassed() }
        }
    }

    private func closeTimerLoop() async {
        await closeStarted.wait()
        guard !Task.isCancelled else { return }
        do { try await configuration.clock.sleep(for: configuration.closeTimeout) } catch { return }
        // The peer never answered our close, or never read our last frames: drop the stream.
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
