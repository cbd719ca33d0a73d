import Synchronization
import WireProtocol

/// Gives every request an id, echoed in `X-Request-ID` and used by the access log, so a client
/// report and a log line can be matched. A client-supplied id is kept when it is sane (1-128
/// characters of `A-Z a-z 0-9 - _ . :`), so ids can be traced across a proxy; anything else is
/// replaced, so log lines never carry attacker-chosen control characters.
public final class RequestIDMiddleware: InlineMiddleware {
    public static let header = "X-Request-ID"

    /// A random prefix and a counter of this instance (see `generate`). Kept on the instance,
    /// not as statics, so making an id does not go through a lazy global's once-check.
    private let prefix = UInt64.random(in: .min ... .max)
    private let counter = Atomic<UInt64>(0)

    public init() {}

    public func enter(_ context: inout RequestContext, _ scratch: inout MiddlewareScratch) -> HTTPResponse? {
        if let offered = context.request.headers[Self.header], Self.isAcceptable(offered) {
            context.requestID = offered
        } else {
            context.requestID = generate()
        }
        return nil
    }

    public func leave(
        _ context: RequestContext, _ outcome: Result<HTTPResponse, any Error>,
        _ scratch: inout MiddlewareScratch
    ) throws -> HTTPResponse {
        var response = try outcome.get()
        response.headers.set(Self.header, context.requestID)
        return response
    }

    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        return bytes.allSatisfy { b in
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }

    /// A random prefix and a counter, as 32 lowercase hex digits: unique per request and across
    /// restarts, without a `getrandom` system call per request (ids need to be unique, not
    /// secret).
    func generate() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        // Written straight into the string's storage: no intermediate arrays per request.
        return String(unsafeUninitializedCapacity: 32) { out in
            Self.writeHex(prefix, to: out, at: 0)
            Self.writeHex(sequence, to: out, at: 16)
            return 32
        }
    }

    /// The 16 hex digits of `word`, most significant first.
    private static func writeHex(_ word: UInt64, to out: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var word = word
        for i in stride(from: start + 15, through: start, by: -1) {
            let digit = UInt8(truncatingIfNeeded: word & 0xF)
            out[i] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") - 10 + digit
            word >>= 4
        }
    }
}
