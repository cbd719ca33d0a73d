/// Serves the requests of one connection in order (RFC 9112 §9.3: pipelined requests are
/// answered in the order received), with the head, idle, body and write deadlines of the
/// configuration. Every failure ends in an answer where one is due, then a close; nothing a client
/// sends can crash or wedge it.
struct HTTPConnectionHandler {
    let connection: any DeadlineByteStream
    /// `connection` when it is plain TCP (not TLS), for direct calls on the request path. After a
    /// call through an existential, a caller-isolated async function hops back to its executor
    /// (`swift_task_switch`, reading the task's executor preference under a runtime lock) even
    /// when nothing suspended: two of those per request went with this (benchmarks/perf.md,
    /// seventh pass). Making the handler generic over its stream did the same but grew the
    /// frames an upgraded connection's task keeps by 1 KiB per idle WebSocket.
    let tcp: TCPConnection?
    let info: HTTPConnectionInfo
    let entry: HTTPConnectionEntry
    let configuration: HTTPServer.Configuration
    let responder: any HTTPResponder
    let registry: HTTPConnectionRegistry
    let metrics: HTTPServerMetrics
    let writer: HTTPResponseWriter
    var parser: HTTPParser
    var readBuffer: [UInt8]
    /// Set by `serveOne` when a 101 went out: `run` starts the upgraded protocol once `serveOne`
    /// has returned, so the request, its head and headers (the target alone carries a ~1 KB
    /// token for a WebSocket) are not kept alive in `serveOne`'s frame for the socket's life.
    var pendingUpgrade: (run: @Sendable (any ByteStream) async -> Void, prefix: [UInt8])?
    /// A keep-alive answer not yet written: it goes out with the read for the next request
    /// (`TCPConnection.read(into:deadline:afterWriting:writeTimeout:)`), at the end of the
    /// loop's round with the round's other answers, for one suspension instead of two. It is kept
    /// only when no bytes are buffered, so `readHead` must read before another head and takes it
    /// then; every other write, and the end of `run`, writes it first.
    var unsent: [UInt8]?

    init(
        server: HTTPServer, connection: any DeadlineByteStream, info: HTTPConnectionInfo,
        entry: HTTPConnectionEntry
    ) {
        self.connection = connection
        self.tcp = connection as? TCPConnection
        self.info = info
        self.entry = entry
        self.configuration = server.configuration
        self.responder = server.responder
        self.registry = server.registry
        self.metrics = server.metrics
        self.writer = HTTPResponseWriter(compression: server.configuration.compression)
        self.parser = HTTPParser(mode: .request, limits: server.configuration.limits)
        self.readBuffer = [UInt8](repeating: 0, count: max(512, server.configuration.readBufferSize))
    }

    mutating func run() async {
        while await serveOne() {}
        _ = await writeUnsent()
        if let (upgrade, prefix) = pendingUpgrade {
            pendingUpgrade = nil
            metrics.upgradeStarted()
            await upgrade(PrefixedByteStream(connection, prefix: prefix, metrics: metrics))
            metrics.upgradeEnded()
        }
        connection.close()
    }

    /// Serves one request; returns whether the connection stays open for another.
    private mutating func serveOne() async -> Bool {
        guard let head = await readHead() else { return false }
        let request = head.request
        do {
            try parser.startBody(
                limit: responder.bodyLimit(for: request) ?? configuration.limits.defaultBodyLimit)
        } catch {
            await reject(error)
            return false
        }
        // RFC 9110 §10.1.1: tell a waiting client to send the body, unless it already started.
        if head.expectsContinue && !parser.hasBufferedBytes {
            guard await write(HTTPResponseWriter.continueResponse, nil) else { return false }
        }
        guard let (body, trailers) = await readBody() else { return false }
        var full = request
        full.body = body
        full.trailers = trailers
        let response = await respond(to: full)

        if response.status == 101, let upgrade = response.upgrade {
            let (bytes, _) = writer.serialize(response, to: head, keepAlive: true)
            guard await write(bytes, nil) else { return false }
            _ = registry.set(entry, .upgraded)
            let prefix = parser.takeBufferedBytes()
            // The upgraded protocol owns the connection from here for as long as it lives: release
            // the HTTP read buffer and parser state now rather than holding them while it runs
            // (about 5 KB per idle WebSocket connection).
            readBuffer = []
            parser = HTTPParser(mode: .request, limits: configuration.limits)
            pendingUpgrade = (upgrade, prefix)
            return false
        }
        let closeAsked = response.headers["connection"].map {
            HTTPSyntax.listElements([$0]).contains("close")
        }
        let keepAlive = head.keepAlive && closeAsked != true && !registry.isShuttingDown
        let (bytes, largeBody) = writer.serialize(response, to: head, keepAlive: keepAlive)
        if keepAlive, largeBody == nil, tcp != nil, !parser.hasBufferedBytes {
            metrics.sent(bytes.count)
            unsent = bytes
            return true
        }
        guard await write(bytes, largeBody) else { return false }
        if !keepAlive { await drainBeforeClose() }
        return keepAlive
    }

    /// Answers a request; one that asks for a protocol upgrade is answered in a child task. An
    /// async call chain allocates its frames from its task's allocator, which keeps the slabs it
    /// grew until the task ends; an upgraded connection keeps this task for its whole life, so
    /// running the gateway (middleware, router, handler: about 17 KB of frames) here would pin
    /// that much dead memory per idle WebSocket (issue 15). The child takes its frames with it.
    private func respond(to request: HTTPRequest) async -> HTTPResponse {
        guard request.headers["upgrade"] != nil else {
            return await responder.respond(to: request, connection: info)
        }
        let responder = self.responder
        let info = self.info
        return await withTaskGroup(of: HTTPResponse.self) { group in
            group.addTask { await responder.respond(to: request, connection: info) }
            return await group.next() ?? HTTPResponse(status: 500)
        }
    }

    /// Reads until a head is parsed. The idle deadline runs while nothing is buffered; the head
    /// deadline starts with the head's first byte. Each is read off the clock only when a read
    /// needs it: a head that arrives whole in one read costs one clock reading, not three.
    private mutating func readHead() async -> HTTPMessageHead? {
        var headBegun = parser.hasBufferedBytes
        var headDeadline: IODeadline?
        if !headBegun {
            guard registry.set(entry, .idle) else { return nil }
        }
        while true {
            do {
                if case .head(let head) = try parser.next() { return head }
            } catch {
                await reject(error)
                return nil
            }
            do {
                let deadline: IODeadline
                if headBegun {
                    let started = headDeadline ?? .after(configuration.headTimeout)
                    headDeadline = started
                    deadline = started
                } else {
                    deadline = .after(configuration.idleTimeout)
                }
                let count =
                    if let tcp, unsent != nil {
                        try await readAfterWriting(tcp, deadline: deadline)
                    } else if let tcp {
                        try await tcp.read(into: &readBuffer, deadline: deadline)
                    } else {
                        try await connection.read(into: &readBuffer, deadline: deadline)
                    }
                guard count > 0 else { return nil }
                metrics.received(count)
                parser.feed(readBuffer[0..<count])
            } catch {
                // A silent idle connection just closes; a stalled head is told why (RFC 9110 §15.5.9).
                if error == .timedOut && headBegun { await timeOut() }
                return nil
            }
            if !headBegun {
                headBegun = true
                _ = registry.set(entry, .busy)
            }
        }
    }

    private mutating func readBody() async -> (body: [UInt8], trailers: HTTPHeaders)? {
        while true {
            do {
                if case .complete(let body, let trailers) = try parser.next() { return (body, trailers) }
            } catch {
                await reject(error)
                return nil
            }
            do {
                let count = try await connection.read(
                    into: &readBuffer, deadline: .after(configuration.bodyTimeout))
                guard count > 0 else { return nil }
                metrics.received(count)
                parser.feed(readBuffer[0..<count])
            } catch {
                if error == .timedOut { await timeOut() }
                return nil
            }
        }
    }

    /// The read of `readHead` that also writes the answer held in `unsent`, handing it over: it is
    /// freed once sent, not kept while the connection waits for its next request.
    private mutating func readAfterWriting(_ tcp: TCPConnection, deadline: IODeadline?)
        async throws(StreamError) -> Int
    {
        let answer = unsent.take() ?? []
        return try await tcp.read(
            into: &readBuffer, deadline: deadline, afterWriting: consume answer,
            writeTimeout: configuration.writeTimeout)
    }

    /// Writes the answer held in `unsent`, if any; false if the connection failed.
    private mutating func writeUnsent() async -> Bool {
        guard let answer = unsent else { return true }
        unsent = nil
        return await send(answer, nil)
    }

    /// Writes after the answer held in `unsent`, if any; false if the connection failed.
    private mutating func write(_ bytes: [UInt8], _ more: [UInt8]?) async -> Bool {
        guard await writeUnsent() else { return false }
        metrics.sent(bytes.count + (more?.count ?? 0))
        return await send(bytes, more)
    }

    private func send(_ bytes: [UInt8], _ more: [UInt8]?) async -> Bool {
        let deadline = IODeadline.after(configuration.writeTimeout)
        do {
            if let more {
                try await connection.write(vectored: [bytes, more], deadline: deadline)
            } else if let tcp {
                try await tcp.write(bytes, deadline: deadline)
            } else {
                try await connection.write(bytes, deadline: deadline)
            }
            return true
        } catch {
            return false
        }
    }

    private mutating func timeOut() async {
        await sendErrorAndLinger(
            HTTPErrorBody.response(
                status: 408, error: "request_timeout", description: "The request was not received in time."))
    }

    /// Answers a malformed or refused request with the spec's error body and closes.
    private mutating func reject(_ error: HTTPParseError) async {
        await sendErrorAndLinger(
            HTTPErrorBody.response(status: error.status, error: error.code, description: error.description))
    }

    /// Writes the error, half-closes, and drains what the client still sends for a moment: closing
    /// with unread input would reset the connection and could destroy the response in flight.
    private mutating func sendErrorAndLinger(_ response: HTTPResponse) async {
        let (bytes, _) = writer.serialize(response, to: HTTPMessageHead(method: "GET"), keepAlive: false)
        guard await write(bytes, nil) else { return }
        await drainBeforeClose()
    }

    /// The lingering close of RFC 9112 §9.6: send our FIN, then read and discard until the client
    /// closes too (or a short deadline), so requests it had already pipelined do not turn our
    /// final response into a reset.
    private mutating func drainBeforeClose() async {
        await connection.shutdownWrite()
        let deadline = IODeadline.after(configuration.lingerTimeout)
        var drained = 0
        while drained < 4 * 1024 * 1024 {
            guard let count = try? await connection.read(into: &readBuffer, deadline: deadline), count > 0
            else {
                return
            }
            drained += count
        }
    }
}
