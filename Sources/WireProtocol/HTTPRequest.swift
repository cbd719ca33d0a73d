import Glibc

/// An HTTP/1.1 request as parsed from the wire.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target exactly as sent (origin form: path plus optional `?query`).
    public var target: String
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Trailer fields of a chunked body (RFC 9112 §7.1.2), if any.
    public var trailers: HTTPHeaders

    public init(
        method: String, target: String, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = [], trailers: HTTPHeaders = HTTPHeaders()
    ) {
        self.method = method
        self.target = target
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.trailers = trailers
    }

    /// The path part of the target (before `?`), still percent-encoded.
    public var path: Substring { Self.path(ofTarget: target) }

    /// The query part of the target (after `?`), or nil.
    public var query: Substring? {
        guard let q = Self.queryMark(in: target) else { return nil }
        return target[target.index(after: q)...]
    }

    /// The path part of a request target (before `?`), still percent-encoded; for code that
    /// holds only the target (the access log, the body-limit check).
    public static func path(ofTarget target: String) -> Substring {
        if let q = queryMark(in: target) { return target[..<q] }
        return target[...]
    }

    /// Where the `?` is; `memchr` over the target's bytes (the gateway asks several times per
    /// request, and the generic search showed in issue 15's profile).
    private static func queryMark(in target: String) -> String.Index? {
        let offset = target.utf8.withContiguousStorageIfAvailable { bytes -> Int? in
            guard let base = bytes.baseAddress,
                let hit = memchr(base, Int32(UInt8(ascii: "?")), bytes.count)
            else { return nil }
            return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
        }
        switch offset {
        case .some(.some(let offset)): return target.utf8.index(target.utf8.startIndex, offsetBy: offset)
        case .some(.none): return nil
        case .none: return target.utf8.firstIndex(of: UInt8(ascii: "?"))
        }
    }
}
