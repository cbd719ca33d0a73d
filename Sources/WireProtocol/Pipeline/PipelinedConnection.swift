/// What a pipelined connection reads and writes through: a TCP connection, or TLS over one.
protocol ConnectionTransport: AnyObject, Sendable {
    func read(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError) -> Int
    func write(_ bytes: [UInt8], deadline: IODeadline?) async throws(StreamError)
    func close()
}

extension TCPConnection: ConnectionTransport {}

extension TLSConnection: ConnectionTransport {}

/// The skeleton that Redis and PostgreSQL connections share: one connection used by many tasks
/// at once (pipelining).
///
/// A request is encoded and appended to the outbox *and* to the in-flight queue under one lock,
/// so the order of requests on the wire is the order of their answers. One writer task drains
/// the outbox, writing everything that accumulated while the previous write was in progress in
/// one system call: that is how concurrent callers share round trips. One reader task decodes
/// answers and completes the request at the head of the queue. A request that times out or whose
/// task is cancelled returns at once (`abandon`); its late answer is read and dropped, keeping the
/// stream in step. The protocol files say how requests are encoded, answers recognised and a
/// request abandoned.
protocol PipelinedConnection: AnyObject, Sendable {
    associatedtype InFlight: PipelinedRequest
    associatedtype Session
    typealias Failure = InFlight.Failure
    typealias Reply = Result<InFlight.Reply, InFlight.Failure>

    var transport: any ConnectionTransport { get }
    /// Called once, after the connection failed or was closed (its owner forgets it).
    var onClose: @Sendable (Self) -> Void { get }
    /// Runs `body` under the connection's lock.
    func withState<R: Sendable>(_ body: (inout PipelineState<InFlight, Session>) -> R) -> R
    /// Gives a request up: its caller gets `reason` now; its answer will be read and dropped.
    func abandon(_ id: UInt64, reason: Failure)
}

extension PipelinedConnection {
    var isClosed: Bool { withState { $0.isClosingOrFailed } }

    /// Requests sent and not yet answered.
    var inFlightCount: Int { withState { $0.pendingCount } }

    /// Queues a request and waits for its answer, or for `timeout`, or for the task's
    /// cancellation. `queue` runs under the lock: it appends the request's bytes to the outbox and
    /// the request to the queue (`PipelineState.append`), returning its id.
    func perform(
        timeout: Duration?,
        _ queue: (inout PipelineState<InFlight, Session>, CheckedContinuation<Reply, Never>) -> UInt64
    ) async -> Reply {
        let ticket = RequestCancelTicket<Failure>()
        // The timer is a task of its own so that a timeout costs nothing until it fires; it is
        // cancelled (and wakes at once) when the request completes first.
        let timer = timeout.map { timeout in
            Task { [ticket] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled else { return }
                if let id = ticket.cancel(.timedOut) { self.abandon(id, reason: .timedOut) }
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enqueue(continuation, ticket: ticket, queue)
            }
        } onCancel: {
            if let id = ticket.cancel(.cancelled) { self.abandon(id, reason: .cancelled) }
        }
    }

    private func enqueue(
        _ continuation: CheckedContinuation<Reply, Never>, ticket: RequestCancelTicket<Failure>,
        _ queue: (inout PipelineState<InFlight, Session>, CheckedContinuation<Reply, Never>) -> UInt64
    ) {
        if Task.isCancelled {
            continuation.resume(returning: .failure(.cancelled))
            return
        }
        let queued = withState {
            s -> (id: UInt64, wake: (writer: CheckedContinuation<[UInt8]?, Never>, bytes: [UInt8])?)? in
            if let refusal = s.refusal {
                continuation.resume(returning: .failure(refusal))
                return nil
            }
            let id = queue(&s, continuation)
            return (id, s.wakeWriter())
        }
        guard let queued else { return }
        if let wake = queued.wake { wake.writer.resume(returning: wake.bytes) }
        if let reason = ticket.enqueued(queued.id) { abandon(queued.id, reason: reason) }
    }

    /// Appends the protocol's goodbye (QUIT, Terminate) after everything already queued; the
    /// writer closes the connection once it has written it.
    func close(sayingGoodbye goodbye: (inout [UInt8]) -> Void) {
        let wake = withState { s -> (writer: CheckedContinuation<[UInt8]?, Never>, bytes: [UInt8])? in
            guard s.failure == nil, !s.closing else { return nil }
            s.closing = true
            goodbye(&s.outbox)
            return s.wakeWriter()
        }
        if let wake { wake.writer.resume(returning: wake.bytes) }
    }

    /// Fails every outstanding request with `error` and closes the transport. Idempotent.
    func fail(_ error: Failure) {
        guard let taken = withState({ $0.takeForFailure(error) }) else { return }
        transport.close()
        taken.writer?.resume(returning: nil)
        for request in taken.pending { request.continuation?.resume(returning: .failure(error)) }
        onClose(self)
    }

    /// Drains the outbox: each write carries everything queued since the previous one began.
    func writeLoop() async {
        while true {
            let bytes: [UInt8]? = await withCheckedContinuation { continuation in
                withState { s in
                    if s.failure != nil {
                        continuation.resume(returning: nil)
                    } else if !s.outbox.isEmpty {
                        let bytes = s.outbox
                        s.outbox = []
                        continuation.resume(returning: bytes)
                    } else if s.closing {
                        continuation.resume(returning: nil)
                    } else {
                        s.writerWaiter = continuation
                    }
                }
            }
            guard let bytes else {
                if withState({ $0.closing }) { fail(.closed) }
                return
            }
            do {
                try await transport.write(bytes, deadline: nil)
            } catch {
                fail(.connectionClosed)
                return
            }
        }
    }

    /// Reads until the connection ends. `drain` decodes what has arrived so far and handles it,
    /// returning the failure that ends the connection, if any; `feed` hands the decoder what was
    /// read. The end of the stream is `.closed` after `close()`, else `.connectionClosed`.
    func readLoop(feed: (ArraySlice<UInt8>) -> Void, drain: () -> Failure?) async {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let error = drain() {
                fail(error)
                return
            }
            let count: Int
            do {
                count = try await transport.read(into: &buffer, deadline: nil)
            } catch {
                count = 0
            }
            if count == 0 {
                fail(withState { $0.isClosingOrFailed } ? .closed : .connectionClosed)
                return
            }
            feed(buffer[0..<count])
        }
    }
}
