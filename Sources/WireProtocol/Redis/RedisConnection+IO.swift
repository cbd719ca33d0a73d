extension RedisConnection {
    /// Connects, then AUTH, SELECT, CLIENT SETNAME and PING pipelined in one round trip, all
    /// within `connectTimeout`. The PING proves the server speaks RESP and that no password is
    /// missing (a server with `requirepass` answers it NOAUTH).
    static func open(
        _ configuration: RedisConfiguration, onPush: (@Sendable (RedisValue) -> Void)? = nil,
        onClose: @escaping @Sendable (RedisConnection) -> Void
    ) async throws(RedisError) -> RedisConnection {
        let deadline = IODeadline.after(configuration.connectTimeout)
        let place = "\(configuration.host):\(configuration.port)"
        let tcp = try await dial(host: configuration.host, port: configuration.port, deadline: deadline)
        var commands: [RedisCommand] = []
        if let password = configuration.password {
            if let user = configuration.user {
                commands.append(RedisCommand("AUTH", user, password))
            } else {
                commands.append(RedisCommand("AUTH", password))
            }
        }
        if configuration.database != 0 {
            commands.append(RedisCommand("SELECT", String(configuration.database)))
        }
        if let name = configuration.clientName { commands.append(RedisCommand("CLIENT", "SETNAME", name)) }
        commands.append(RedisCommand("PING"))
        var bytes: [UInt8] = []
        for command in commands { command.encode(into: &bytes) }
        var decoder = RESPDecoder(limits: configuration.decoderLimits)
        var replies: [RedisValue] = []
        do {
            try await tcp.write(bytes, deadline: deadline)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while replies.count < commands.count {
                if let value = try decoder.next() {
                    replies.append(value)
                    continue
                }
                let count = try await tcp.read(into: &buffer, deadline: deadline)
                guard count > 0 else {
                    throw RedisError.connectionFailed("\(place): the server closed the connection")
                }
                decoder.feed(buffer[0..<count])
            }
        } catch let error as StreamError {
            tcp.close()
            throw .connectionFailed("\(place): \(error.clientDescription)")
        } catch let error as RESPProtocolError {
            tcp.close()
            throw .protocolViolation("\(place): \(error.description)")
        } catch let error as RedisError {
            tcp.close()
            throw error
        } catch {
            tcp.close()
            throw .connectionFailed("\(place): \(error)")
        }
        for (command, reply) in zip(commands, replies) {
            guard case .error(let message) = reply else { continue }
            tcp.close()
            if command.name == "AUTH" || message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") {
                throw .authentication("\(place): \(message)")
            }
            if command.name == "CLIENT" { continue }
            throw .connectionFailed("\(place): \(command.name) failed: \(message)")
        }
        let connection = RedisConnection(
            tcp: tcp, configuration: configuration, onPush: onPush, onClose: onClose)
        connection.start(decoder: decoder)
        return connection
    }

    /// Decodes replies and completes requests in order (or hands them to `onPush`).
    func readLoop(decoder initial: RESPDecoder) async {
        var decoder = initial
        await readLoop(feed: { decoder.feed($0) }) { () -> RedisError? in
            do throws(RESPProtocolError) {
                while let value = try decoder.next() {
                    if let onPush {
                        onPush(value)
                    } else if !deliver(value) {
                        // QUIT's +OK arrives after close() emptied nothing: that one is expected.
                        return isClosed
                            ? .closed : .protocolViolation("a reply with no command waiting for it")
                    }
                }
                return nil
            } catch {
                return .protocolViolation(error.description)
            }
        }
    }

    /// Adds one reply to the request at the head; completes it when it has them all. False when
    /// no request waits (the server answered something never asked).
    private func deliver(_ value: RedisValue) -> Bool {
        let finished = state.withLock { s -> (CheckedContinuation<Reply, Never>?, [RedisValue])?? in
            guard s.inFlightHead < s.inFlight.count else { return .none }
            let head = s.inFlightHead
            s.inFlight[head].replies.append(value)
            guard s.inFlight[head].replies.count == s.inFlight[head].expected, let done = s.popHead() else {
                return .some(nil)
            }
            return .some((done.continuation, done.replies))
        }
        guard let finished else { return false }
        if let (continuation, replies) = finished { continuation?.resume(returning: .success(replies)) }
        return true
    }
}
