/// Settings for permessage-deflate (RFC 7692). Negotiation (which parameters both ends agreed)
/// is separate from the runtime codec, whose window and memory can be smaller than agreed: a
/// compressor may always use a smaller window than the one negotiated (§7.1.2.1).
public struct PerMessageDeflateConfiguration: Sendable, Equatable {
    /// Our compressor resets its window after every message.
    public var serverNoContextTakeover = false
    /// Ask the peer to reset its window after every message.
    public var clientNoContextTakeover = false
    /// Upper bound for the window we compress with (as server; as client, our own sending side).
    public var compressionWindowBits = 12
    /// The window we ask the peer to compress with, when it allows us to choose (saves our
    /// inflater's memory: 2^bits bytes per connection).
    public var peerMaxWindowBits = 12
    /// zlib memLevel: 5 keeps an idle compressed connection well under 80 KB.
    public var memoryLevel = 5
    /// zlib compression level, 1 (fast) to 9 (small).
    public var compressionLevel = 6
    /// Messages shorter than this are sent uncompressed: deflate's framing costs more than it saves.
    public var minimumSize = 64

    public init() {}
}

/// The result of a successful negotiation, as written in the response header.
public struct PerMessageDeflateParameters: Sendable, Equatable {
    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    public var serverMaxWindowBits: Int?
    public var clientMaxWindowBits: Int?

    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int? = nil, clientMaxWindowBits: Int? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The `Sec-WebSocket-Extensions` element (§7.1).
    public var headerValue: String {
        var s = "permessage-deflate"
        if serverNoContextTakeover { s += "; server_no_context_takeover" }
        if clientNoContextTakeover { s += "; client_no_context_takeover" }
        if let bits = serverMaxWindowBits { s += "; server_max_window_bits=\(bits)" }
        if let bits = clientMaxWindowBits { s += "; client_max_window_bits=\(bits)" }
        return s
    }

    /// Reads the four parameters, nil if any is unknown, repeated or out of range (§7.1: such an
    /// offer is declined, such a response fails the connection). `client_max_window_bits` may
    /// lack a value in an offer; it is returned as 15 then, with `clientWindowValueless` set.
    static func parse(_ offer: WebSocketExtensionOffer) -> (Self, clientWindowOffered: Bool)? {
        var p = PerMessageDeflateParameters()
        var seen = Set<String>()
        var clientWindowOffered = false
        for (rawName, value) in offer.parameters {
            let name = rawName.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
                p.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                p.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let value, let bits = windowBits(value) else { return nil }
                p.serverMaxWindowBits = bits
            case "client_max_window_bits":
                clientWindowOffered = true
                if let value {
                    guard let bits = windowBits(value) else { return nil }
                    p.clientMaxWindowBits = bits
                }
            default: return nil
            }
        }
        return (p, clientWindowOffered)
    }

    /// §7.1.2.1: a decimal integer 8–15 without leading zeros.
    private static func windowBits(_ s: String) -> Int? {
        guard !s.hasPrefix("0"), s.utf8.count <= 2, let v = Int(s), (8...15).contains(v) else { return nil }
        return v
    }
}

/// The runtime settings both directions use once negotiated.
struct PerMessageDeflateRuntime: Sendable, Equatable {
    struct Side: Sendable, Equatable {
        var maxWindowBits: Int
        var noContextTakeover: Bool
    }
    var deflate: Side
    var inflate: Side
    var memoryLevel: Int
    var compressionLevel: Int
    var minimumSize: Int
}

enum PerMessageDeflateNegotiation {
    static let name = "permessage-deflate"

    /// Server side (§5.1): accepts the first acceptable permessage-deflate offer, in the client's
    /// order of preference, or nil to run without compression.
    static func accept(
        offers: [WebSocketExtensionOffer], configuration c: PerMessageDeflateConfiguration
    ) -> (response: PerMessageDeflateParameters, runtime: PerMessageDeflateRuntime)? {
        for offer in offers where offer.name.equalsIgnoringASCIICase(name) {
            guard let (asked, clientWindowOffered) = PerMessageDeflateParameters.parse(offer) else {
                continue
            }
            var response = PerMessageDeflateParameters()
            // §7.1.1.1: a server_no_context_takeover offer must be honoured when accepted.
            response.serverNoContextTakeover = asked.serverNoContextTakeover || c.serverNoContextTakeover
            // §7.1.1.2: the server may always ask the client not to take over context.
            response.clientNoContextTakeover = asked.clientNoContextTakeover || c.clientNoContextTakeover
            // §7.1.2.1: accepting server_max_window_bits means echoing it with the same or a smaller value.
            if let bits = asked.serverMaxWindowBits {
                response.serverMaxWindowBits = min(bits, max(8, c.compressionWindowBits))
            }
            // §7.1.2.2: client_max_window_bits may appear in a response only if it was offered.
            if clientWindowOffered {
                let bits = min(asked.clientMaxWindowBits ?? 15, max(8, c.peerMaxWindowBits))
                if bits < 15 || asked.clientMaxWindowBits != nil { response.clientMaxWindowBits = bits }
            }
            let runtime = PerMessageDeflateRuntime(
                deflate: .init(
                    maxWindowBits: min(response.serverMaxWindowBits ?? 15, c.compressionWindowBits),
                    noContextTakeover: response.serverNoContextTakeover),
                inflate: .init(
                    maxWindowBits: response.clientMaxWindowBits ?? 15,
                    noContextTakeover: response.clientNoContextTakeover),
                memoryLevel: c.memoryLevel, compressionLevel: c.compressionLevel, minimumSize: c.minimumSize)
            return (response, runtime)
        }
        return nil
    }

    /// The client's offer: allow the server to pick our window (valueless client_max_window_bits).
    static func clientOffer(_ c: PerMessageDeflateConfiguration) -> String {
        var s = name
        if c.clientNoContextTakeover { s += "; client_no_context_takeover" }
        if c.serverNoContextTakeover { s += "; server_no_context_takeover" }
        if c.peerMaxWindowBits < 15 { s += "; server_max_window_bits=\(max(8, c.peerMaxWindowBits))" }
        s += "; client_max_window_bits"
        return s
    }

    /// Client side: validates the server's response (§7.1: anything unknown or invalid fails the
    /// connection). Returns nil when the server did not accept the extension.
    static func clientAccept(
        responseHeaders values: [String], configuration c: PerMessageDeflateConfiguration
    ) throws(WebSocketError) -> PerMessageDeflateRuntime? {
        let offers = WebSocketExtensionOffer.parse(values)
        guard !offers.isEmpty else { return nil }
        guard offers.count == 1, offers[0].name.equalsIgnoringASCIICase(name),
            let (p, _) = PerMessageDeflateParameters.parse(offers[0])
        else { throw .handshakeFailed("unexpected Sec-WebSocket-Extensions response") }
        if c.serverNoContextTakeover && !p.serverNoContextTakeover {
            throw .handshakeFailed("server ignored server_no_context_takeover")
        }
        return PerMessageDeflateRuntime(
            deflate: .init(
                maxWindowBits: min(p.clientMaxWindowBits ?? 15, c.compressionWindowBits),
                noContextTakeover: p.clientNoContextTakeover || c.clientNoContextTakeover),
            inflate: .init(
                maxWindowBits: p.serverMaxWindowBits ?? 15, noContextTakeover: p.serverNoContextTakeover),
            memoryLevel: c.memoryLevel, compressionLevel: c.compressionLevel, minimumSize: c.minimumSize)
    }
}
