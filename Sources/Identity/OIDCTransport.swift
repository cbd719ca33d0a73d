import WireProtocol

/// One back-channel HTTP exchange with an OIDC provider (token endpoint, userinfo endpoint).
/// A protocol so the flow can be tested against a fake provider without any network.
public protocol OIDCTransport: Sendable {
    /// Sends `method` to the absolute `url` and returns status, headers and body.
    func send(method: String, url: String, headers: HTTPHeaders, body: [UInt8]) async throws
        -> HTTPClientResponse
}

/// Why a back-channel call could not be made (as opposed to the provider saying no).
public enum OIDCTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case unsupportedScheme(String)
    /// The TLS client context could not be built (an unreadable `--idp-ca-file`).
    case tlsConfiguration(String)
    case client(HTTPClientError)

    public var description: String {
        switch self {
        case .invalidURL(let url): "invalid URL '\(url.prefix(200))'"
        case .unsupportedScheme(let scheme): "unsupported URL scheme '\(scheme.prefix(20))'"
        case .tlsConfiguration(let why): why
        case .client(.tls(let error)): "\(error)"
        case .client(.stream(let error)): "connection failed: \(error)"
        case .client(let error): "\(error)"
        }
    }
}

/// `OIDCTransport` over WireProtocol's `HTTPClient`: one connection per call, since logins are
/// rare and providers differ. `https` verifies the provider's chain against the system CA store
/// plus `caFile` (a private CA) and its name against the URL's host; `http` is still allowed for a
/// provider on a private network or loopback. Each call is bounded by `timeout` per read/write and
/// by `maxResponseSize`.
public struct HTTPClientOIDCTransport: OIDCTransport {
    public var timeout: Duration
    /// Extra CA certificates (PEM) trusted besides the system store, for a private CA.
    public var caFile: String?
    /// Largest provider response accepted (discovery, JWKS, tokens and user data are small).
    public var maxResponseSize = 1 << 20
    /// The TLS client context, built once (reading the CA files) and shared by every call.
    private let tls: Result<TLSContext, TLSError>

    public init(timeout: Duration = .seconds(10), caFile: String? = nil) {
        self.timeout = timeout
        self.caFile = caFile
        tls = Result { () throws(TLSError) in
            try TLSContext.client(TLSClientConfiguration(additionalCAFile: caFile))
        }
    }

    /// Fails when the CA file cannot be used, so start-up can refuse it instead of every login.
    public func validate() throws(OIDCTransportError) {
        if case .failure(let error) = tls { throw .tlsConfiguration("--idp-ca-file: \(error)") }
    }

    public func send(method: String, url: String, headers: HTTPHeaders, body: [UInt8]) async throws
        -> HTTPClientResponse
    {
        let target = try AbsoluteURL(url)
        var context: TLSContext? = nil
        if target.scheme == "https" {
            switch tls {
            case .success(let c): context = c
            case .failure(let error): throw OIDCTransportError.tlsConfiguration("--idp-ca-file: \(error)")
            }
        }
        let client = HTTPClient(host: target.host, port: target.port, timeout: timeout, tls: context)
        await client.limitBody(to: maxResponseSize)
        var headers = headers
        headers.set("Connection", "close")
        let result: Result<HTTPClientResponse, HTTPClientError>
        do {
            result = .success(
                try await client.send(
                    HTTPRequest(method: method, target: target.pathAndQuery, headers: headers, body: body)))
        } catch {
            result = .failure(error)
        }
        await client.close()
        return try result.mapError { OIDCTransportError.client($0) }.get()
    }
}

/// The parts of an `http(s)://host[:port]/path?query` URL a client needs.
struct AbsoluteURL: Equatable {
    var scheme: String
    var host: String
    var port: Int
    var pathAndQuery: String

    init(_ text: String) throws(OIDCTransportError) {
        let pieces = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard pieces.count == 2 else { throw .invalidURL(text) }
        scheme = pieces[0].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(scheme) }
        let rest: Substring = pieces[1]
        let authorityEnd: Substring.Index =
            rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority: Substring = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...].prefix { $0 != "#" })
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        pathAndQuery = path
        guard !authority.isEmpty, !authority.contains("@") else { throw .invalidURL(text) }
        var parsedPort = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidURL(text) }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after: Substring = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw .invalidURL(text) }
                parsedPort = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { throw .invalidURL(text) }
            parsedPort = p
        } else {
            host = String(authority)
        }
        port = parsedPort
        guard !host.isEmpty, (1...65535).contains(port) else { throw .invalidURL(text) }
    }
}
