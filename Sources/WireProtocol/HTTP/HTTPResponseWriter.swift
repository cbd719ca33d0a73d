import Glibc

/// Serializes responses (RFC 9112 §4, §6): status line, the application's fields, `Date`,
/// `Content-Length`, `Connection`, and gzip when negotiated.
public struct HTTPResponseWriter: Sendable {
    public var compression: Compression

    /// When and how to gzip response bodies.
    public struct Compression: Sendable, Equatable {
        public var enabled = true
        /// Smaller bodies are sent as they are: the gzip header and CPU are not worth it.
        public var minimumSize = 1024
        public var level: Int32 = 6

        public init(enabled: Bool = true, minimumSize: Int = 1024, level: Int32 = 6) {
            self.enabled = enabled
            self.minimumSize = minimumSize
            self.level = level
        }
    }

    public init(compression: Compression = Compression()) {
        self.compression = compression
    }

    /// Bodies up to this size are copied behind the head so the response leaves in one write.
    static let inlineBodyLimit = 64 * 1024

    /// The bytes of `response` answering a request with `request` head: the head, then the body
    /// either appended to it or (when large) as a second buffer for a vectored write.
    public func serialize(_ response: HTTPResponse, to request: HTTPMessageHead, keepAlive: Bool)
        -> (head: [UInt8], body: [UInt8]?)
    {
        var headers = response.headers
        var body = response.body
        let status = response.status
        let informational = status < 200
        let bodyless = informational || status == 204 || status == 304
        let added =
            bodyless ? AddedFields() : negotiateCompression(&headers, &body, status: status, request: request)
        let sendBody = !bodyless && request.method != "HEAD"

        var out: [UInt8] = []
        out.reserveCapacity(
            128 + headers.count * 32 + (sendBody && body.count <= Self.inlineBodyLimit ? body.count : 0))
        out.append(literal: "HTTP/1.1 ")
        out.append(UInt8(48 + status / 100 % 10))
        out.append(UInt8(48 + status / 10 % 10))
        out.append(UInt8(48 + status % 10))
        out.append(32)
        out.append(utf8: HTTPStatus.reason(status))
        out.append(contentsOf: Self.crlf)
        for field in headers {
            // The writer owns framing and connection fields, except on a 101 whose Connection and
            // Upgrade fields belong to the handshake.
            if !informational && Self.isWriterOwned(field.name) { continue }
            Self.appendField(field.name, field.value, to: &out)
        }
        if added.vary { out.append(literal: "Vary: Accept-Encoding\r\n") }
        if added.gzip { out.append(literal: "Content-Encoding: gzip\r\n") }
        if !informational {
            out.append(literal: "Date: ")
            out.append(contentsOf: HTTPDate.current())
            out.append(contentsOf: Self.crlf)
            if status != 204 && status != 304 {
                out.append(literal: "Content-Length: ")
                out.appendDecimal(body.count)
                out.append(contentsOf: Self.crlf)
            }
            if !keepAlive {
                out.append(literal: "Connection: close\r\n")
            } else if request.versionMinor == 0 {
                out.append(literal: "Connection: keep-alive\r\n")
            }
        }
        out.append(contentsOf: Self.crlf)
        guard sendBody, !body.isEmpty else { return (out, nil) }
        if body.count <= Self.inlineBodyLimit {
            out.append(contentsOf: body)
            return (out, nil)
        }
        return (out, body)
    }

    static let crlf: [UInt8] = [13, 10]

    static func isWriterOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: name.equalsIgnoringASCIICase("date")
        case 10: name.equalsIgnoringASCIICase("connection")
        case 14: name.equalsIgnoringASCIICase("content-length")
        case 17: name.equalsIgnoringASCIICase("transfer-encoding")
        default: false
        }
    }

    static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        out.append(utf8: name)
        out.append(58)
        out.append(32)
        // A value must not smuggle a line break into the head (RFC 9110 §5.5). Values almost
        // never hold one: copy them whole once `memchr` has found none (a byte loop was ~1 % of
        // the CPU of a `GET /`).
        var value = value
        value.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            if memchr(base, 13, bytes.count) == nil && memchr(base, 10, bytes.count) == nil {
                out.append(contentsOf: bytes)
            } else {
                for byte in bytes { out.append(byte == 13 || byte == 10 ? 32 : byte) }
            }
        }
        out.append(contentsOf: crlf)
    }

    /// The bytes of an interim `100 Continue` (RFC 9110 §15.2.1).
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
}
