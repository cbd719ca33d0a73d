/// An incremental HTTP/1.1 message parser over bytes (RFC 9112), for requests (server) and
/// responses (client).
///
/// Feed it bytes in any chunking with `feed(_:)` and pull events with `next()` until it returns
/// nil (needs more bytes). For each message it yields `.head`, then `.complete` with the whole
/// body and any trailers; pipelined messages follow in order. Between the two, a server calls
/// `startBody(limit:)` with the route's body limit, so an oversized `Content-Length` is refused
/// (413) before any of the body is read and before `100 Continue` is sent. Every limit is checked
/// so that the outcome does not depend on how the input was split. An error is final: the
/// connection must be answered and closed.
public struct HTTPParser: Sendable {
    public enum Mode: Sendable { case request, response }

    public enum Event: Sendable, Equatable {
        case head(HTTPMessageHead)
        case complete(body: [UInt8], trailers: HTTPHeaders)
    }

    /// Size limits, each with its own error (and status) when exceeded.
    public struct Limits: Sendable, Equatable {
        /// Longest request line without its CRLF (414 beyond).
        public var maxRequestLineLength = 8 * 1024
        /// Longest head, start line to the empty line inclusive (431 beyond); also bounds trailers.
        public var maxHeadLength = 64 * 1024
        /// Most header fields (431 beyond); also bounds trailer fields.
        public var maxHeaderCount = 100
        /// Body limit when `startBody(limit:)` is not called (413 beyond).
        public var defaultBodyLimit = 2 * 1024 * 1024

        public init(
            maxRequestLineLength: Int = 8 * 1024, maxHeadLength: Int = 64 * 1024, maxHeaderCount: Int = 100,
            defaultBodyLimit: Int = 2 * 1024 * 1024
        ) {
            self.maxRequestLineLength = maxRequestLineLength
            self.maxHeadLength = maxHeadLength
            self.maxHeaderCount = maxHeaderCount
            self.defaultBodyLimit = defaultBodyLimit
        }
    }

    enum State: Equatable {
        case head
        case bodyPending(BodyFraming)
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    /// Where the scan for the end of a field section stands (absolute indices into `buffer`).
    struct SectionScan: Equatable {
        var position = 0
        var lineStart = 0
        var firstLineEnd: Int?
    }

    public let mode: Mode
    public var limits: Limits
    /// Response mode: the request was HEAD, so the next response has no body (RFC 9112 §6.3).
    public var nextResponseIsToHEAD = false

    var buffer: [UInt8] = []
    var index = 0
    var scan = SectionScan()
    var state = State.head
    var body: [UInt8] = []
    var bodyLimit = 0
    var failure: HTTPParseError?

    public init(mode: Mode, limits: Limits = Limits()) {
        self.mode = mode
        self.limits = limits
    }

    /// Whether unparsed bytes are buffered (a partial or pipelined message).
    public var hasBufferedBytes: Bool { index < buffer.count }

    /// True between messages with nothing buffered: a keep-alive connection at rest.
    public var isIdle: Bool { state == .head && !hasBufferedBytes }

    /// Whether a head has been parsed and its body not yet completed.
    public var isInBody: Bool { state != .head }

    /// Appends received bytes.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        if index == buffer.count {
            if buffer.capacity > 64 * 1024 {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            rebase(by: index)
        } else if index > 16 * 1024 && index * 2 > buffer.count {
            buffer.removeFirst(index)
            rebase(by: index)
        }
        buffer.append(contentsOf: bytes)
    }

    /// Removes and returns every buffered byte not yet parsed (for a protocol upgrade).
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[index...])
        buffer = []
        rebase(by: index)
        return rest
    }

    private mutating func rebase(by offset: Int) {
        index -= offset
        scan.position -= offset
        scan.lineStart -= offset
        if let end = scan.firstLineEnd { scan.firstLineEnd = end - offset }
    }

    /// Sets the body limit of the message whose head was just returned. Throws `.bodyTooLarge` at
    /// once when its `Content-Length` exceeds the limit.
    public mutating func startBody(limit: Int) throws(HTTPParseError) {
        guard case .bodyPending(let framing) = state else { return }
        bodyLimit = limit
        body = []
        switch framing {
        case .none:
            state = .complete
        case .length(let count):
            if count > limit { throw fail(.bodyTooLarge) }
            // Reserve only a little up front: a client may declare a large length and send nothing.
            body.reserveCapacity(min(count, 64 * 1024))
            state = .body(remaining: count)
        case .chunked:
            state = .chunkSize
        case .untilClose:
            state = .untilClose
        }
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? {
        if let failure { throw failure }
        while true {
            switch state {
            case .head:
                guard let head = try parseHeadIfComplete() else { return nil }
                return .head(head)
            case .bodyPending:
                try startBody(limit: limits.defaultBodyLimit)
            case .body(let remaining):
                let take = min(remaining, buffer.count - index)
                if take > 0 {
                    body.append(contentsOf: buffer[index..<(index + take)])
                    index += take
                }
                if remaining - take > 0 {
                    state = .body(remaining: remaining - take)
                    return nil
                }
                state = .complete
            case .chunkSize, .chunkData, .chunkDataEnd, .trailers:
                guard let event = try parseChunked() else { return nil }
                return event
            case .untilClose:
                body.append(contentsOf: buffer[index...])
                index = buffer.count
                if body.count > bodyLimit { throw fail(.bodyTooLarge) }
                return nil
            case .complete:
                return completeMessage(trailers: HTTPHeaders())
            }
        }
    }

    /// Ends the input (the peer closed). Completes a response delimited by close; throws if a
    /// message was cut short; nil when the stream ended cleanly between messages.
    public mutating func finish() throws(HTTPParseError) -> Event? {
        if let failure { throw failure }
        switch state {
        case .untilClose:
            return completeMessage(trailers: HTTPHeaders())
        case .head where !hasBufferedBytes:
            return nil
        default:
            throw fail(.badRequest("connection closed mid-message"))
        }
    }

    mutating func completeMessage(trailers: HTTPHeaders) -> Event {
        let event = Event.complete(body: body, trailers: trailers)
        body = []
        state = .head
        scan = SectionScan(position: index, lineStart: index, firstLineEnd: nil)
        nextResponseIsToHEAD = false
        return event
    }

    mutating func fail(_ error: HTTPParseError) -> HTTPParseError {
        failure = error
        return error
    }
}
