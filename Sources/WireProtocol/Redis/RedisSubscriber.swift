import Synchronization

/// A message published on a channel the subscriber listens to.
public struct RedisMessage: Sendable, Equatable {
    public var channel: String
    public var payload: [UInt8]

    public init(channel: String, payload: [UInt8]) {
        self.channel = channel
        self.payload = payload
    }
}

/// Pub/sub on a connection of its own (a subscribed RESP2 connection takes no other commands).
///
/// `subscribe` returns once the server confirmed every channel, so a message published after it
/// returns is delivered. Messages arrive on `messages` in order. When the connection is lost the
/// subscriber reconnects with backoff and subscribes again to every channel; messages published
/// meanwhile are lost (pub/sub is fire-and-forget by design), and `reconnections` counts the
/// gaps so a user can resynchronise from durable state.
public final class RedisSubscriber: Sendable {
    public let configuration: RedisConfiguration
    /// Every message, in arrival order; finishes when the subscriber is closed.
    public let messages: AsyncStream<RedisMessage>
    private let continuation: AsyncStream<RedisMessage>.Continuation
    private let state = Mutex(SubscriberState())

    private struct Confirmation {
        let id: UInt64
        var remaining: Set<String>
        let continuation: CheckedContinuation<RedisError?, Never>
    }

    private struct SubscriberState {
        var connection: RedisConnection?
        var channels: Set<String> = []
        var confirmations: [Confirmation] = []
        var nextWaiter: UInt64 = 0
        var closed = false
        var reconnecting = false
        var reconnections = 0
    }

    init(configuration: RedisConfiguration) {
        self.configuration = configuration
        (messages, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Times the connection was lost and re-established (messages may have been missed).
    public var reconnections: Int { state.withLock { $0.reconnections } }

    /// Subscribes to the channels and waits for the server's confirmation of each (or `timeout`).
    public func subscribe(_ channels: [String], timeout: Duration? = nil) async throws(RedisError) {
        guard !channels.isEmpty else { return }
        let connection = try await connected()
        let id = state.withLock { s -> UInt64 in
            s.channels.formUnion(channels)
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let limit = timeout ?? configuration.commandTimeout ?? .seconds(5)
        let timer = Task {
            try? await Task.sleep(for: limit)
            guard !Task.isCancelled else { return }
            self.finishWaiter(id, .timedOut)
        }
        defer { timer.cancel() }
        // Registered before SUBSCRIBE is written, so no confirmation can arrive unseen.
        let outcome = await withCheckedContinuation {
            (continuation: CheckedContinuation<RedisError?, Never>) in
            state.withLock { s in
                s.confirmations.append(
                    Confirmation(id: id, remaining: Set(channels), continuation: continuation))
            }
            do throws(RedisError) {
                try connection.send([RedisCommand("SUBSCRIBE", arguments: channels)])
            } catch {
                finishWaiter(id, error)
            }
        }
        if let outcome { throw outcome }
    }

    /// Resumes a subscribe call (nil: every channel confirmed).
    private func finishWaiter(_ id: UInt64, _ outcome: RedisError?) {
        let waiter = state.withLock { s -> CheckedContinuation<RedisError?, Never>? in
            guard let i = s.confirmations.firstIndex(where: { $0.id == id }) else { return nil }
            return s.confirmations.remove(at: i).continuation
        }
        waiter?.resume(returning: outcome)
    }

    /// Stops listening on the channels (no confirmation awaited).
    public func unsubscribe(_ channels: [String]) throws(RedisError) {
        guard !channels.isEmpty else { return }
        let connection = state.withLock { s in
            s.channels.subtract(channels)
            return s.connection
        }
        try connection?.send([RedisCommand("UNSUBSCRIBE", arguments: channels)])
    }

    /// Closes the connection and finishes `messages`.
    public func close() {
        let (connection, pending) = state.withLock { s in
            s.closed = true
            defer {
                s.connection = nil
                s.confirmations = []
            }
            return (s.connection, s.confirmations)
        }
        connection?.close()
        for entry in pending { entry.continuation.resume(returning: .closed) }
        continuation.finish()
    }

    private func connected() async throws(RedisError) -> RedisConnection {
        if let existing = state.withLock({ s -> RedisConnection? in
            guard let c = s.connection, !c.isClosed else { return nil }
            return c
        }) {
            return existing
        }
        if state.withLock({ $0.closed }) { throw .closed }
        let connection = try await RedisConnection.open(
            configuration, onPush: { [weak self] value in self?.received(value) },
            onClose: { [weak self] closed in self?.lost(closed) })
        let keep = state.withLock { s -> Bool in
            guard !s.closed else { return false }
            s.connection?.close()
            s.connection = connection
            return true
        }
        guard keep else {
            connection.close()
            throw .closed
        }
        return connection
    }

    private func received(_ value: RedisValue) {
        guard let parts = value.array, let kind = parts.first?.string?.lowercased() else { return }
        switch kind {
        case "message" where parts.count == 3:
            guard let channel = parts[1].string, let payload = parts[2].bytes else { return }
            continuation.yield(RedisMessage(channel: channel, payload: payload))
        case "subscribe" where parts.count >= 2:
            guard let channel = parts[1].string else { return }
            let done = state.withLock { s -> [CheckedContinuation<RedisError?, Never>] in
                var done: [CheckedContinuation<RedisError?, Never>] = []
                for i in s.confirmations.indices.reversed()
                where s.confirmations[i].remaining.contains(channel) {
                    s.confirmations[i].remaining.remove(channel)
                    if s.confirmations[i].remaining.isEmpty {
                        done.append(s.confirmations.remove(at: i).continuation)
                    }
                }
                return done
            }
            for waiter in done { waiter.resume(returning: nil) }
        default: break
        }
    }

    private func lost(_ connection: RedisConnection) {
        let start = state.withLock { s -> Bool in
            guard s.connection === connection, !s.closed else { return false }
            s.connection = nil
            guard !s.reconnecting else { return false }
            s.reconnecting = true
            return true
        }
        if start { Task { await self.resubscribeLoop() } }
    }

    /// Reconnects with backoff and subscribes again to every channel.
    private func resubscribeLoop() async {
        var backoff = ReconnectBackoff()
        while true {
            try? await Task.sleep(for: backoff.next(configuration.reconnectBackoff))
            let channels = state.withLock { s -> [String]? in
                guard !s.closed else {
                    s.reconnecting = false
                    return nil
                }
                return Array(s.channels)
            }
            guard let channels else { return }
            let restored: Bool
            if channels.isEmpty {
                restored = (try? await connected()) != nil
            } else {
                restored = (try? await subscribe(channels)) != nil
            }
            if restored {
                state.withLock { s in
                    s.reconnecting = false
                    s.reconnections += 1
                }
                return
            }
        }
    }
}
