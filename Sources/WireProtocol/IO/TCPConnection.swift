import CTMISystem
import Glibc
import Synchronization

/// A non-blocking TCP connection driven by the poller (DESIGN §3).
///
/// Every call is "try the system call; on EAGAIN suspend until the poller reports readiness;
/// retry" (FlyingFox's `loopUntilReady`). One task may read while another writes. A reset peer
/// surfaces as `.disconnected`; end of stream as a read of 0 bytes (the `ByteStream` contract).
public final class TCPConnection: ByteStream {
    let descriptor: PolledDescriptor
    public let peerDescription: String
    /// The last read returned fewer bytes than asked: the socket's receive queue was empty then,
    /// so the next read waits for readiness first instead of making a `read` that would only
    /// say EAGAIN (one system call less per request on a keep-alive connection). Whatever arrives
    /// after that read raises a new edge, which the poller keeps until the wait takes it, so
    /// nothing is missed; a stale edge costs one spurious wake-up, as before. Only the reading
    /// task touches it (relaxed: it is never read on another thread concurrently).
    private let drained = Atomic<Bool>(false)

    /// `observesCancellation`: whether a cancelled task's wait on the socket ends (see
    /// `PolledDescriptor.observesCancellation`).
    init(adopting fd: Int32, peer: String, poller: Poller = .shared, observesCancellation: Bool = true)
        throws(StreamError)
    {
        var one: Int32 = 1
        // Responses are written whole; Nagle would only delay them.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.descriptor = try PolledDescriptor(
            adopting: fd, poller: poller, observesCancellation: observesCancellation)
        self.peerDescription = peer
    }

    public var isClosed: Bool { descriptor.isClosed }

    public func read(into buffer: inout [UInt8]) async throws(StreamError) -> Int {
        try await read(into: &buffer, deadline: nil)
    }

    /// Reads up to `buffer.count` bytes; 0 means end of stream. Fails with `.timedOut` if nothing
    /// arrives before `deadline`.
    public func read(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError) -> Int {
        if drained.load(ordering: .relaxed) {
            drained.store(false, ordering: .relaxed)
            try await descriptor.wait(for: .read, deadline: deadline)
        }
        return try await readWhenReady(into: &buffer, deadline: deadline)
    }

    /// Writes `bytes` (failing with `.timedOut` if the peer stops reading for `writeTimeout`),
    /// then reads as `read(into:deadline:)` does: a server's answer and its wait for the next
    /// request. On the descriptor's own loop, when the last read emptied the socket, both are
    /// one suspension: the loop sends `bytes` at the end of its round with the round's other
    /// writes (`Poller.sendAtEndOfRound`) and then waits to read for this task. `bytes` is
    /// consumed: the answer is freed once sent, not kept while the connection waits.
    ///
    /// The write's deadline is taken when the socket first refuses bytes, `writeTimeout` from
    /// then: almost every answer goes whole in its first send, and then no clock is read for it.
    public func read(
        into buffer: inout [UInt8], deadline: IODeadline?, afterWriting bytes: consuming [UInt8],
        writeTimeout: Duration?
    ) async throws(StreamError) -> Int {
        guard !bytes.isEmpty, drained.load(ordering: .relaxed), descriptor.poller.isOnLoop else {
            try await write(consume bytes, deadline: writeTimeout.map { .after($0) })
            return try await read(into: &buffer, deadline: deadline)
        }
        drained.store(false, ordering: .relaxed)
        let outcome = await descriptor.poller.sendAtEndOfRound(
            descriptor, consume bytes, thenRead: true, readDeadline: deadline)
        if try await settleHeldSend(consume outcome, deadline: writeTimeout.map { .after($0) }) {
            try await descriptor.wait(for: .read, deadline: deadline)
        }
        return try await readWhenReady(into: &buffer, deadline: deadline)
    }

    /// What a held send's outcome asks of its task: throws its failure; writes what the socket
    /// did not take and returns true (the task then still has to wait to read); false when the
    /// send went whole. Out of line, so the bytes it writes go with its frame.
    @inline(never)
    private func settleHeldSend(_ outcome: consuming IOWaitResult, deadline: @autoclosure () -> IODeadline?)
        async throws(StreamError) -> Bool
    {
        switch consume outcome {
        case .ready: return false
        case .timedOut: throw .timedOut
        case .closed: throw .closed
        case .sendStopped(_, _, let error?): throw error
        case .sendStopped(let bytes, let sent, nil):
            try await writeRest(of: bytes, from: sent, deadline: deadline())
            return true
        }
    }

    /// Reads what is there, waiting for readiness whenever the socket says EAGAIN.
    @inline(__always)
    private func readWhenReady(into buffer: inout [UInt8], deadline: IODeadline?) async throws(StreamError)
        -> Int
    {
        while true {
            let n = try descriptor.withDescriptor { fd in
                buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            }
            if n >= 0 {
                if n > 0 && n < buffer.count { drained.store(true, ordering: .relaxed) }
                return n
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK: try await descriptor.wait(for: .read, deadline: deadline)
            case EINTR: continue
            default: throw .fromErrno(code)
            }
        }
    }

    public func write(_ bytes: [UInt8]) async throws(StreamError) {
        try await write(bytes, deadline: nil)
    }

    /// Writes every byte, failing with `.timedOut` if the peer stops reading until `deadline`.
    /// On the descriptor's own loop the first attempt waits for the end of the loop's round
    /// (`Poller.sendAtEndOfRound`), so the round's responses are sent back to back.
    public func write(_ bytes: [UInt8], deadline: IODeadline?) async throws(StreamError) {
        guard !bytes.isEmpty, descriptor.poller.isOnLoop else {
            try await writeRest(of: bytes, from: 0, deadline: deadline)
            return
        }
        let outcome = await descriptor.poller.sendAtEndOfRound(descriptor, bytes)
        _ = try await settleHeldSend(consume outcome, deadline: deadline)
    }

    /// Writes `bytes` from `offset` on, waiting for writability whenever the socket is full.
    private func writeRest(of bytes: [UInt8], from offset: Int, deadline: IODeadline?)
        async throws(StreamError)
    {
        var offset = try descriptor.sendAvailable(bytes, from: offset)
        while offset < bytes.count {
            try await descriptor.wait(for: .write, deadline: deadline)
            offset = try descriptor.sendAvailable(bytes, from: offset)
        }
    }

    public func write(vectored buffers: [[UInt8]]) async throws(StreamError) {
        try await write(vectored: buffers, deadline: nil)
    }

    /// Writes several buffers with `sendmsg` (a `writev` that accepts `MSG_NOSIGNAL`).
    public func write(vectored buffers: [[UInt8]], deadline: IODeadline?) async throws(StreamError) {
        var position = VectorPosition(buffers: buffers)
        while true {
            _ = try position.sendAvailable(descriptor)
            if position.isDone { return }
            try await descriptor.wait(for: .write, deadline: deadline)
        }
    }

    /// One non-blocking attempt at `write(vectored:)`: what the socket's send buffer takes now.
    public func writeNow(vectored buffers: [[UInt8]]) throws(StreamError) -> Int? {
        var position = VectorPosition(buffers: buffers)
        return try position.sendAvailable(descriptor)
    }

    /// Stops sending (a FIN to the peer) but keeps reading: the first half of a lingering close.
    public func shutdownWrite() {
        _ = try? descriptor.withDescriptor { shutdown($0, Int32(SHUT_WR)) }
    }

    public func close() { descriptor.close() }

    /// Closes on the descriptor's loop once the writes it holds for the end of its round are
    /// sent: what a server's shutdown uses, so an answer already given to a connection that went
    /// idle waiting for its next request still goes out.
    func closeAfterHeldSends() {
        let poller = descriptor.poller
        poller.onLoop {
            poller.sendHeld()
            self.close()
        }
    }
}

/// Where a vectored write stands: which buffer, and how far into it.
private struct VectorPosition {
    let buffers: [[UInt8]]
    var index = 0
    var offset = 0

    init(buffers: [[UInt8]]) {
        self.buffers = buffers
        skipEmpty()
    }

    var isDone: Bool { index >= buffers.count }

    mutating func advance(by count: Int) {
        var left = count
        while left > 0, index < buffers.count {
            let available = buffers[index].count - offset
            if left < available {
                offset += left
                return
            }
            left -= available
            index += 1
            offset = 0
        }
        skipEmpty()
    }

    private mutating func skipEmpty() {
        while index < buffers.count, offset >= buffers[index].count {
            index += 1
            offset = 0
        }
    }

    /// Sends until every buffer is written or the socket would block (EAGAIN); returns the
    /// bytes sent.
    mutating func sendAvailable(_ descriptor: PolledDescriptor) throws(StreamError) -> Int {
        var sent = 0
        while !isDone {
            guard let n = try descriptor.sendOnce({ fd in send(fd) }) else { return sent }
            advance(by: n)
            sent += n
        }
        return sent
    }

    /// One `sendmsg` over at most 64 of the remaining buffers (a plain `send` for the last one).
    func send(_ fd: Int32) -> Int {
        if index == buffers.count - 1 {
            return buffers[index].withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
        }
        let end = min(buffers.count, index + 64)
        var vectors = [iovec](repeating: iovec(), count: end - index)
        func nest(_ i: Int) -> Int {
            if i == end {
                return vectors.withUnsafeMutableBufferPointer { iov in
                    var message = msghdr()
                    message.msg_iov = iov.baseAddress
                    message.msg_iovlen = iov.count
                    return sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                }
            }
            return buffers[i].withUnsafeBytes { raw in
                let skip = i == index ? offset : 0
                vectors[i - index] = iovec(
                    iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress.map { $0 + skip }),
                    iov_len: raw.count - skip)
                return nest(i + 1)
            }
        }
        return nest(index)
    }
}
