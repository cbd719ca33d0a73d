import Synchronization

/// The bounded queue between a connection's reader and the application iterating its messages.
///
/// When the application falls behind, `push` suspends, the reader stops reading, and TCP flow
/// control slows the peer: received data never piles up in memory.
final class WebSocketInbox: Sendable {
    private struct State {
        var queue: [WebSocketMessage] = []
        var head = 0
        var finished = false
        var consumer: CheckedContinuation<WebSocketMessage?, Never>?
        var producer: CheckedContinuation<Void, Never>?
        /// The application stopped iterating (its handler returned or was cancelled).
        var abandoned = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []

        /// A message was handed to the application, which has not asked for the next one yet.
        var outstanding = false

        /// Every delivered message has been handled: the queue is empty and the application is
        /// back asking for the next one. Also true once nobody will wait for that any more: the
        /// inbox was finished (close timeout, end of stream) or the application stopped reading.
        var isIdle: Bool { finished || abandoned || (count == 0 && !outstanding) }

        mutating func takeIdleWaiters() -> [CheckedContinuation<Void, Never>] {
            guard isIdle else { return [] }
            defer { idleWaiters = [] }
            return idleWaiters
        }

        var count: Int { queue.count - head }

        mutating func pop() -> WebSocketMessage? {
            guard head < queue.count else { return nil }
            let m = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: false)
                head = 0
            } else if head >= 32 && head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return m
        }
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Queues a message, suspending while the queue is full. Dropped once finished.
    func push(_ message: WebSocketMessage) async {
        let consumer = state.withLock { s -> CheckedContinuation<WebSocketMessage?, Never>? in
            guard !s.finished else { return nil }
            if let c = s.consumer {
                s.consumer = nil
                s.outstanding = true
                return c
            }
            s.queue.append(message)
            return nil
        }
        if let consumer {
            consumer.resume(returning: message)
            return
        }
        while state.withLock({ !$0.finished && $0.count >= capacity }) {
            await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.finished || s.count < capacity { return true }
                    s.producer = cont
                    return false
                }
                if resumeNow { cont.resume() }
            }
        }
    }

    /// The next message, or nil once finished and drained (or when the caller is cancelled).
    func next() async -> WebSocketMessage? {
        let (message, producer, done, idle) = state.withLock { s in
            s.outstanding = false
            let idle = s.takeIdleWaiters()
            let m = s.pop()
            if m != nil { s.outstanding = true }
            let p = m != nil ? s.producer : nil
            if p != nil { s.producer = nil }
            return (m, p, s.finished, idle)
        }
        producer?.resume()
        for w in idle { w.resume() }
        if let message { return message }
        if done { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<WebSocketMessage?, Never>) in
                let immediate = state.withLock {
                    s -> (Bool, WebSocketMessage?, CheckedContinuation<Void, Never>?) in
                    if let m = s.pop() {
                        // Handed to the application: not idle until it asks again.
                        s.outstanding = true
                        let p = s.producer
                        s.producer = nil
                        return (true, m, p)
                    }
                    if s.finished || Task.isCancelled { return (true, nil, nil) }
                    s.consumer = cont
                    return (false, nil, nil)
                }
                immediate.2?.resume()
                if immediate.0 { cont.resume(returning: immediate.1) }
            }
        } onCancel: {
            let (c, idle) = state.withLock { s in
                defer { s.consumer = nil }
                s.abandoned = true
                return (s.consumer, s.takeIdleWaiters())
            }
            c?.resume(returning: nil)
            for w in idle { w.resume() }
        }
    }

    /// Every queued message (at most `limit`), waiting for one when none is queued; empty once
    /// finished and drained (or when the caller is cancelled). A consumer that handles messages
    /// in bulk (a load tester reading hundreds of sockets) takes a burst in one lock and one
    /// wake-up instead of one per message. The batch counts as handed over until the next call.
    func nextBatch(limit: Int) async -> [WebSocketMessage] {
        let (batch, producer, idle) = state.withLock { s in
            s.outstanding = false
            let idle = s.takeIdleWaiters()
            var batch: [WebSocketMessage] = []
            while batch.count < limit, let m = s.pop() { batch.append(m) }
            if !batch.isEmpty { s.outstanding = true }
            let p = batch.isEmpty ? nil : s.producer
            if p != nil { s.producer = nil }
            return (batch, p, idle)
        }
        producer?.resume()
        for w in idle { w.resume() }
        if !batch.isEmpty { return batch }
        // Nothing queued: wait for the next message as `next` does, then take what came with it.
        guard let first = await next() else { return [] }
        let (more, producer2) = state.withLock { s in
            var more: [WebSocketMessage] = []
            while more.count + 1 < limit, let m = s.pop() { more.append(m) }
            let p = more.isEmpty ? nil : s.producer
            if p != nil { s.producer = nil }
            return (more, p)
        }
        producer2?.resume()
        return [first] + more
    }

    /// No more messages will be pushed; pending and later `next` calls drain then return nil.
    func finish() {
        let (c, p, idle) = state.withLock { s in
            s.finished = true
            defer {
                s.consumer = nil
                s.producer = nil
            }
            return (s.consumer, s.producer, s.takeIdleWaiters())
        }
        c?.resume(returning: nil)
        p?.resume()
        for w in idle { w.resume() }
    }

    /// The application will not iterate any more (its handler returned).
    func abandon() {
        let idle = state.withLock { s in
            s.abandoned = true
            return s.takeIdleWaiters()
        }
        for w in idle { w.resume() }
    }

    /// Waits until the application has handled every message delivered so far, so that what it
    /// sends in reply goes out before a close frame that follows those messages on the wire
    /// (an echo of a message must precede the close caused by the next frame).
    func waitUntilIdle() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.isIdle { return true }
                s.idleWaiters.append(cont)
                return false
            }
            if ready { cont.resume() }
        }
    }
}
