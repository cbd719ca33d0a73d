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
        let (message, producer, done) = state.withLock { s in
            let m = s.pop()
            let p = m != nil ? s.producer : nil
            if p != nil { s.producer = nil }
            return (m, p, s.finished)
        }
        producer?.resume()
        if let message { return message }
        if done { return nil }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<WebSocketMessage?, Never>) in
                let immediate = state.withLock {
                    s -> (Bool, WebSocketMessage?, CheckedContinuation<Void, Never>?) in
                    if let m = s.pop() {
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
            let c = state.withLock { s in
                defer { s.consumer = nil }
                return s.consumer
            }
            c?.resume(returning: nil)
        }
    }

    /// No more messages will be pushed; pending and later `next` calls drain then return nil.
    func finish() {
        let (c, p) = state.withLock { s in
            s.finished = true
            defer {
                s.consumer = nil
                s.producer = nil
            }
            return (s.consumer, s.producer)
        }
        c?.resume(returning: nil)
        p?.resume()
    }
}
