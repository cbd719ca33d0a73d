import CZlib

/// The sending half of permessage-deflate (RFC 7692 §7.2.1): raw DEFLATE, each message flushed
/// with `Z_SYNC_FLUSH` and its trailing `00 00 FF FF` removed.
///
/// Not thread-safe: a connection owns one and uses it under its lock, so messages are compressed
/// in the order they are queued, which context takeover requires.
final class PerMessageDeflateCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let noContextTakeover: Bool

    /// - Parameter windowBits: the negotiated `*_max_window_bits` (8–15). zlib's raw deflate rejects
    ///   a window of 8 (it cannot produce a 256-byte window and refuses rather than silently using
    ///   512), so 8 is raised to 9, as other implementations do. A peer that negotiated 8 inflates
    ///   with zlib, which makes the same adjustment, so distances of up to 512 bytes are accepted
    ///   in practice.
    init(windowBits: Int, memLevel: Int, level: Int, noContextTakeover: Bool) throws(WebSocketError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.noContextTakeover = noContextTakeover
        let bits = Int32(max(9, min(15, windowBits)))
        let rc = tmi_deflateInit2(
            stream, Int32(level), Z_DEFLATED, -bits, Int32(max(1, min(9, memLevel))), Z_DEFAULT_STRATEGY)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .internalError("deflateInit2 failed (\(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses one whole message; the result is the frame payload (tail already stripped).
    func compress(_ input: UnsafeRawBufferPointer) throws(WebSocketError) -> [UInt8] {
        var output = [UInt8]()
        // deflateBound covers a finished stream; a sync flush adds at most a few bytes more.
        var capacity = Int(deflateBound(stream, uLong(input.count))) + 16
        var failure: Int32 = Z_OK
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(input.count)
        repeat {
            let chunk = [UInt8](unsafeUninitializedCapacity: capacity) { buf, initialized in
                stream.pointee.next_out = buf.baseAddress
                stream.pointee.avail_out = uInt(capacity)
                let rc = deflate(stream, Z_SYNC_FLUSH)
                if rc != Z_OK && rc != Z_BUF_ERROR { failure = rc }
                initialized = capacity - Int(stream.pointee.avail_out)
            }
            guard failure == Z_OK else { throw .internalError("deflate failed (\(failure))") }
            if output.isEmpty { output = chunk } else { output += chunk }
            capacity = 4096
            // avail_out > 0 after a sync flush means everything, flush marker included, is out.
        } while stream.pointee.avail_out == 0
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        // RFC 7692 §7.2.1: remove the 4 octets 0x00 0x00 0xff 0xff at the tail end.
        if output.count >= 4, output.suffix(4).elementsEqual([0, 0, 0xFF, 0xFF] as [UInt8]) {
            output.removeLast(4)
        }
        // §7.2.1: without context takeover each message starts from an empty window.
        if noContextTakeover { deflateReset(stream) }
        return output
    }

    func compress(_ input: [UInt8]) throws(WebSocketError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(WebSocketError) in try compress(b) } }.get()
    }
}

/// The receiving half of permessage-deflate (RFC 7692 §7.2.2), inflating frame payloads as they
/// arrive and stopping as soon as the output passes the caller's limit, so a small "zip bomb"
/// cannot make us allocate more than the message size limit.
final class PerMessageDeflateDecompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let noContextTakeover: Bool
    /// The peer ended the DEFLATE stream with a final block (RFC 7692 §7.2.2 allows it); reset before
    /// the next message.
    private var streamEnded = false
    /// Compressed bytes of the current message not yet given to zlib: less than `blockSize`.
    private var pending: [UInt8] = []

    /// zlib is given a message's compressed bytes in blocks of this size, counted from the start
    /// of the message, never as TCP happened to deliver them. zlib checks a match distance
    /// against its window *plus the output of the current call*, so how the input is cut into
    /// calls can change its verdict on a peer that refers past the agreed window: one read could
    /// pass what several reads refuse (a fuzz finding). With calls fixed by the message alone,
    /// the verdict is a property of the bytes, and the inflater keeps the small agreed window
    /// (2^bits of memory, not 32 KiB). Holds at most one block per connection, only mid-message.
    static let blockSize = 1024

    init(windowBits: Int, noContextTakeover: Bool) throws(WebSocketError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.noContextTakeover = noContextTakeover
        // A larger inflate window than the peer's is always safe; see the compressor about 8.
        let rc = tmi_inflateInit2(stream, -Int32(max(9, min(15, windowBits))))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .internalError("inflateInit2 failed (\(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Takes the next compressed bytes of the message, inflating every whole block (see
    /// `blockSize`) and appending to `output`; throws `.messageTooBig` once `output` exceeds
    /// `limit` bytes.
    func inflate(
        _ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int
    ) throws(WebSocketError) {
        let size = Self.blockSize
        var rest = input
        if !pending.isEmpty {
            let take = min(size - pending.count, rest.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            guard pending.count == size else { return }
            try inflatePending(into: &output, limit: limit)
        }
        while rest.count >= size {
            try inflateCall(UnsafeRawBufferPointer(rebasing: rest[..<size]), into: &output, limit: limit)
            rest = UnsafeRawBufferPointer(rebasing: rest[size...])
        }
        if !rest.isEmpty { pending.append(contentsOf: rest) }
    }

    /// Gives zlib the held bytes (a whole block, or the message's last part) and empties them.
    private func inflatePending(into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        defer { pending.removeAll(keepingCapacity: true) }
        try pending.withUnsafeBytes { b in
            Result { () throws(WebSocketError) in try inflateCall(b, into: &output, limit: limit) }
        }.get()
    }

    /// One call of zlib on `input` (repeated while its output fills the scratch buffer).
    private func inflateCall(
        _ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int
    ) throws(WebSocketError) {
        guard !streamEnded, input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
        }
        let chunk = 16 * 1024
        var result: Result<Void, WebSocketError> = .success(())
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { scratch in
            while true {
                stream.pointee.next_out = scratch.baseAddress
                stream.pointee.avail_out = uInt(chunk)
                let rc = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = chunk - Int(stream.pointee.avail_out)
                if produced > 0 {
                    if output.count + produced > limit {
                        result = .failure(.messageTooBig)
                        return
                    }
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<produced]))
                }
                switch rc {
                case Z_STREAM_END:
                    streamEnded = true
                    return
                case Z_OK, Z_BUF_ERROR:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                    if rc == Z_BUF_ERROR && produced == 0 { return }
                default:
                    result = .failure(.protocolViolation("invalid compressed data"))
                    return
                }
            }
        }
        try result.get()
    }

    /// Ends a message: inflates the held part followed by the stripped `00 00 FF FF` tail
    /// (§7.2.2) and, without context takeover or after a final block, resets the window for the
    /// next message. The held bytes' storage is let go: an idle connection keeps none.
    func finishMessage(into output: inout [UInt8], limit: Int) throws(WebSocketError) {
        defer { pending = [] }
        // The tail goes to zlib in the same last call as the held part.
        pending.append(contentsOf: [0, 0, 0xFF, 0xFF] as [UInt8])
        try inflatePending(into: &output, limit: limit)
        if noContextTakeover || streamEnded {
            inflateReset(stream)
            streamEnded = false
        }
    }
}
