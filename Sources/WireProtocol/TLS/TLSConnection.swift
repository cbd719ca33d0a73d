import Glibc
import Synchronization

/// TLS over a `TCPConnection`: a `DeadlineByteStream`, so the HTTP server, the HTTP parser, the
/// client and WebSocket run over it unchanged. The socket stays with the TCP connection (the
/// epoll loop); this type only moves ciphertext between it and a `TLSEngine`.
///
/// One reader and one writer may run at once (a WebSocket does): the engine is behind a lock held
/// only for synchronous OpenSSL calls, and `TLSWriteGate` keeps ciphertext in order on the wire.
public final class TLSConnection: DeadlineByteStream {
    public let tcp: TCPConnection
    // Mutex<TLSEngine> is Sendable: the engine is only ever touched inside `withLock`.
    private let engine: Mutex<TLSEngine>
    private let gate = TLSWriteGate()
    /// Reads in progress; `close()` lingers only when none is (the poller has one read waiter
    /// per descriptor, which the lingering drain then uses).
    private let activeReads = Atomic<Int>(0)
    /// What the handshake settled, for logs and tests.
    public let negotiatedProtocol: String?
    public let protocolVersion: String
    public let peerCertificate: TLSCertificateInfo?

    /// Ciphertext read per system call: one full TLS record plus header.
    static let readChunkSize = 16 * 1024 + 512

    private init(tcp: TCPConnection, engine: sending TLSEngine) {
        self.tcp = tcp
        self.negotiatedProtocol = engine.negotiatedProtocol
        self.protocolVersion = engine.protocolVersion
        self.peerCertificate = engine.peerCertificate
        self.engine = Mutex(engine)
    }

    public var peerDescription: String { tcp.peerDescription }
    public var isClosed: Bool { tcp.isClosed }

    // MARK: Handshakes

    /// Runs the server handshake on an accepted connection. On failure (garbage, plain HTTP, no
    /// common version, the deadline) the TCP connection is closed and the reason thrown.
    public static func accept(
        _ tcp: TCPConnection, context: TLSContext, deadline: IODeadline
    ) async throws(TLSError) -> TLSConnection {
        let engine: TLSEngine
        do {
            engine = try TLSEngine(server: context)
        } catch {
            tcp.close()
            throw error
        }
        return try await handshake(tcp, engine, deadline: deadline)
    }

    /// Runs the client handshake, verifying the server's chain with `context` and its name
    /// against `serverName` (the host connected to, normally).
    public static func connect(
        _ tcp: TCPConnection, context: TLSContext, serverName: String, deadline: IODeadline
    ) async throws(TLSError) -> TLSConnection {
        let engine: TLSEngine
        do {
            engine = try TLSEngine(client: context, serverName: serverName)
        } catch {
            tcp.close()
            throw error
        }
        return try await handshake(tcp, engine, deadline: deadline)
    }

    /// Opens TCP to `host:port`, then TLS verifying `host`.
    public static func connect(
        host: String, port: Int, context: TLSContext, serverName: String? = nil, deadline: IODeadline
    ) async throws(TLSError) -> TLSConnection {
        let tcp: TCPConnection
        do {
            tcp = try await TCPConnection.connect(host: host, port: port, deadline: deadline)
        } catch {
            throw .stream(error)
        }
        return try await connect(tcp, context: context, serverName: serverName ?? host, deadline: deadline)
    }

    private static func handshake(_ tcp: TCPConnection, _ engine: sending TLSEngine, deadline: IODeadline)
        async throws(TLSError) -> TLSConnection
    {
        do throws(TLSError) {
            while true {
                let done: Bool
                do {
                    done = try engine.handshake()
                } catch {
                    // Send the alert OpenSSL queued, so the peer learns why.
                    let alert = engine.takeOutput()
                    if !alert.isEmpty { tcp.sendNow(alert) }
                    throw error
                }
                let output = engine.takeOutput()
                if !output.isEmpty {
                    do { try await tcp.write(output, deadline: deadline) } catch { throw .stream(error) }
                }
                if done { break }
                let chunk: [UInt8]
                do {
                    chunk = try await tcp.readChunk(maxCount: readChunkSize, deadline: deadline)
                } catch {
                    throw .stream(error)
                }
                guard !chunk.isEmpty else { throw .stream(.disconnected) }
                engine.feed(chunk)
            }
        } catch {
            tcp.close()
            throw error
        }
        engine.releaseIdleBuffers(threshold: 0)
        return TLSConnection(tcp: tcp, engine: engine)
    }

    // MARK: Reading

    public func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int {
        try await read(into: &buffer, deadline: nil)
    }

    public func read(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError) -> Int {
        activeReads.add(1, ordering: .acquiringAndReleasing)
        defer { activeReads.subtract(1, ordering: .acquiringAndReleasing) }
        while true {
            let (result, flush) = engine.withLock { e -> (TLSEngine.ReadResult?, Bool) in
                let result: TLSEngine.ReadResult
                do {
                    result = try e.read(into: &buffer)
                } catch {
                    return (nil, e.hasOutput)
                }
                if case .needsInput = result { e.releaseIdleBuffers() }
                return (result, e.hasOutput)
            }
            if flush { await flushFromReader(deadline: deadline) }
            // A corrupt record or a fatal alert (sent to the peer just above): the stream is over.
            guard let result else { throw .system(EPROTO) }
            switch result {
            case .bytes(let count): return count
            case .closed: return 0
            case .needsInput: break
            }
            let chunk = try await tcp.readChunk(maxCount: Self.readChunkSize, deadline: deadline)
            if chunk.isEmpty { return 0 }
            engine.withLock { $0.feed(chunk) }
        }
    }

    /// Sends output the reader's engine call produced, unless a writer holds the gate (it will).
    private func flushFromReader(deadline: IODeadline?) async {
        guard gate.acquireOrRequestFlush() else { return }
        do {
            try await flushHoldingGate(deadline: deadline)
        } catch {
            gate.release()
        }
    }

    /// With the gate held: writes all pending output, and releases the gate once nothing more
    /// was asked for.
    private func flushHoldingGate(deadline: IODeadline?) async throws(StreamError) {
        repeat {
            let output = engine.withLock { $0.takeOutput() }
            if !output.isEmpty { try await tcp.write(output, deadline: deadline) }
        } while !gate.releaseUnlessFlushWanted()
    }

    // MARK: Writing

    public func write(_ bytes: [UInt8]) async throws(StreamError) {
        try await write(bytes, deadline: nil)
    }

    public func write(_ bytes: [UInt8], deadline: IODeadline?) async throws(StreamError) {
        try await write(vectored: [bytes], deadline: deadline)
    }

    public func write(vectored buffers: [[UInt8]]) async throws(StreamError) {
        try await write(vectored: buffers, deadline: nil)
    }

    /// Encrypts the buffers in order (small ones share records) and writes the ciphertext.
    /// Bulk data is encrypted 256 KiB at a time, so the engine's output buffer stays bounded.
    public func write(vectored buffers: [[UInt8]], deadline: IODeadline?) async throws(StreamError) {
        await gate.acquire()
        do throws(StreamError) {
            var pending: [UInt8] = []
            for (index, buffer) in buffers.enumerated() {
                if pending.isEmpty && buffer.count >= 256 * 1024 {
                    try await encryptAndSend(buffer, deadline: deadline)
                    continue
                }
                pending += buffer
                if pending.count >= 16 * 1024 || index == buffers.count - 1 {
                    try await encryptAndSend(pending, deadline: deadline)
                    pending.removeAll(keepingCapacity: true)
                }
            }
            try await flushHoldingGate(deadline: deadline)
        } catch {
            gate.release()
            throw error
        }
    }

    private func encryptAndSend(_ plaintext: [UInt8], deadline: IODeadline?) async throws(StreamError) {
        var offset = 0
        let step = 256 * 1024
        repeat {
            let end = min(plaintext.count, offset + step)
            let output = try engine.withLock { e throws(StreamError) -> [UInt8] in
                var failed = false
                plaintext[offset..<end].withUnsafeBytes { raw in
                    do throws(TLSError) { try e.write(raw) } catch { failed = true }
                }
                if failed { throw .closed }
                return e.takeOutput()
            }
            if !output.isEmpty { try await tcp.write(output, deadline: deadline) }
            offset = end
        } while offset < plaintext.count
    }

    // MARK: Closing

    /// Sends close_notify (RFC 8446 §6.1) then a FIN; reading goes on (the lingering close).
    public func shutdownWrite() async {
        await gate.acquire()
        let goodbye = engine.withLock { e in
            e.close()
            return e.takeOutput()
        }
        if !goodbye.isEmpty { try? await tcp.write(goodbye, deadline: .after(.seconds(1))) }
        gate.release()
        tcp.shutdownWrite()
    }

    /// Closes the connection: a best-effort close_notify when no write is in progress, then a
    /// lingering close. Closing a socket with unread input makes the kernel send a reset, and a
    /// peer that meets the reset while it is still writing (Autobahn's byte-at-a-time frames over
    /// TLS) drops the records we sent last, our close frame among them. So when no read is in
    /// progress, the write side is shut and what the peer still sends is read and discarded until
    /// it closes too (at most 2 s and 1 MiB), then the socket is closed.
    public func close() {
        guard !tcp.isClosed else { return }
        if gate.tryAcquire() {
            let goodbye = engine.withLock { e in
                e.close()
                return e.takeOutput()
            }
            if !goodbye.isEmpty { tcp.sendNow(goodbye) }
            gate.release()
        }
        guard activeReads.load(ordering: .acquiring) == 0 else {
            tcp.close()
            return
        }
        tcp.shutdownWrite()
        let tcp = self.tcp
        Task {
            let deadline = IODeadline.after(.seconds(2))
            var drained = 0
            while drained < 1 << 20,
                let chunk = try? await tcp.readChunk(maxCount: Self.readChunkSize, deadline: deadline),
                !chunk.isEmpty
            {
                drained += chunk.count
            }
            tcp.close()
        }
    }
}
