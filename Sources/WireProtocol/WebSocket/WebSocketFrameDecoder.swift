/// The fixed part of a frame (RFC 6455 §5.2), decoded and validated before any payload byte.
struct WebSocketFrameHeader: Sendable, Equatable {
    var fin: Bool
    var rsv1: Bool
    var opcode: WebSocketOpcode
    var length: Int
    var maskingKey: WebSocketMaskingKey?
}

/// A streaming frame decoder that works in steps: header, extended length, masking key, payload.
///
/// Every rule that can be checked from the header is checked as soon as its bytes are present, so a
/// bad or oversized frame fails before a byte of its payload is buffered. Data payloads are not
/// buffered at all: they are unmasked in place in the caller's read buffer and handed out as ranges
/// (`dataPayload`), piece by piece as they arrive, which is what lets text be validated mid-frame.
/// Control payloads (≤ 125 bytes) are collected and returned whole.
struct WebSocketFrameDecoder: Sendable {
    struct Options: Sendable {
        /// Our role: a server requires masked frames, a client forbids them (§5.1).
        var role: WebSocketRole
        var maxFrameSize: Int
        /// Whether RSV1 may be set, i.e. permessage-deflate was negotiated (§5.2, RFC 7692 §6).
        var allowsRSV1: Bool
    }

    enum Event: Sendable, Equatable {
        /// A whole control frame, payload unmasked.
        case control(WebSocketFrame)
        /// A text, binary or continuation frame begins.
        case dataStart(WebSocketFrameHeader)
        /// Unmasked payload bytes of the current data frame, as a range of the caller's buffer.
        case dataPayload(Range<Int>)
        /// The current data frame is complete.
        case dataEnd
    }

    private struct Current: Sendable {
        var header: WebSocketFrameHeader
        var remaining: Int
        var phase: Int = 0
        var controlPayload: [UInt8] = []
    }

    var options: Options
    /// Header bytes of a header split across reads (at most 14).
    private var pendingHeader: [UInt8] = []
    private var current: Current?

    init(options: Options) {
        self.options = options
    }

    /// True between frames: no partial header or payload is pending.
    var isBetweenFrames: Bool { current == nil && pendingHeader.isEmpty }

    /// Decodes the next event from `buffer[position..<end]`, advancing `position`; nil when more
    /// bytes are needed. Payload bytes are unmasked in place.
    mutating func next(
        _ buffer: UnsafeMutableRawBufferPointer, position: inout Int, end: Int
    ) throws(WebSocketError) -> Event? {
        if var cur = current {
            if cur.remaining == 0 { return finish(cur) }
            guard position < end else { return nil }
            let n = min(cur.remaining, end - position)
            let range = position..<(position + n)
            if let key = cur.header.maskingKey {
                key.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[range]), phase: cur.phase)
            }
            position += n
            cur.remaining -= n
            cur.phase = (cur.phase + n) & 3
            if cur.header.opcode.isControl {
                cur.controlPayload.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[range]))
                if cur.remaining > 0 {
                    current = cur
                    return nil
                }
                return finish(cur)
            }
            current = cur
            return .dataPayload(range)
        }
        guard position < end else { return nil }
        let parsed: (WebSocketFrameHeader, Int)?
        if pendingHeader.isEmpty {
            parsed = try Self.parseHeader(
                UnsafeRawBufferPointer(rebasing: buffer[position..<end]), options: options)
            if let (_, length) = parsed {
                position += length
            } else {
                pendingHeader.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position..<end]))
                position = end
                return nil
            }
        } else {
            let before = pendingHeader.count
            let take = min(14 - before, end - position)
            pendingHeader.append(
                contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position..<(position + take)]))
            let options = self.options
            parsed = try pendingHeader.withUnsafeBytes { b in
                Result { () throws(WebSocketError) in try Self.parseHeader(b, options: options) }
            }.get()
            guard let (_, length) = parsed else {
                position += take
                return nil
            }
            position += length - before
            pendingHeader.removeAll(keepingCapacity: true)
        }
        guard let (header, _) = parsed else { return nil }
        let cur = Current(header: header, remaining: header.length)
        if header.opcode.isControl {
            if header.length == 0 { return finish(cur) }
            current = cur
            return try next(buffer, position: &position, end: end)
        }
        current = cur
        return .dataStart(header)
    }

    private mutating func finish(_ cur: Current) -> Event {
        current = nil
        if cur.header.opcode.isControl {
            return .control(WebSocketFrame(fin: true, opcode: cur.header.opcode, payload: cur.controlPayload))
        }
        return .dataEnd
    }

    /// Parses and validates a header from the start of `bytes`; nil if more bytes are needed.
    /// Throws as soon as the bytes present prove the frame invalid.
    static func parseHeader(
        _ bytes: UnsafeRawBufferPointer, options: Options
    ) throws(WebSocketError) -> (WebSocketFrameHeader, Int)? {
        guard bytes.count >= 2 else { return nil }
        let b0 = bytes[0]
        let b1 = bytes[1]
        let fin = b0 & 0x80 != 0
        let rsv1 = b0 & 0x40 != 0
        // §5.2: a nonzero RSV bit with no extension defining it MUST fail the connection.
        if b0 & 0x30 != 0 || (rsv1 && !options.allowsRSV1) {
            throw .protocolViolation("reserved bit set")
        }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            throw .protocolViolation("reserved opcode")
        }
        let masked = b1 & 0x80 != 0
        let len7 = Int(b1 & 0x7F)
        if opcode.isControl {
            // §5.5: control frames MUST NOT be fragmented and carry at most 125 bytes.
            if !fin { throw .protocolViolation("fragmented control frame") }
            if len7 > 125 { throw .protocolViolation("control frame too long") }
            // RFC 7692 §6.1: RSV1 belongs to data messages only.
            if rsv1 { throw .protocolViolation("reserved bit set on control frame") }
        }
        // §5.1: a server MUST close on an unmasked frame; a client MUST close on a masked one.
        switch options.role {
        case .server where !masked: throw .protocolViolation("unmasked client frame")
        case .client where masked: throw .protocolViolation("masked server frame")
        default: break
        }
        var offset = 2
        var length = len7
        if len7 == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if len7 == 127 {
            guard bytes.count >= 10 else { return nil }
            // §5.2: the most significant bit of a 64-bit length MUST be 0.
            if bytes[2] & 0x80 != 0 { throw .protocolViolation("64-bit length with high bit set") }
            var value: UInt64 = 0
            for i in 2..<10 { value = value << 8 | UInt64(bytes[i]) }
            guard value <= UInt64(options.maxFrameSize) else { throw .messageTooBig }
            length = Int(value)
            offset = 10
        }
        guard length <= options.maxFrameSize else { throw .messageTooBig }
        var key: WebSocketMaskingKey?
        if masked {
            guard bytes.count >= offset + 4 else { return nil }
            key = WebSocketMaskingKey(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3])
            offset += 4
        }
        return (
            WebSocketFrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, length: length, maskingKey: key),
            offset
        )
    }
}
