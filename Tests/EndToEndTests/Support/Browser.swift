import CollabCore
import RESTGateway
import Synchronization
import WireProtocol

/// A URL split into what a client needs to reach it; enough for `http(s)://host:port/path?query`.
struct TestURL: Equatable {
    var secure = false
    var host: String
    var port: Int
    var target: String

    init?(_ text: String) {
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else { return nil }
        secure = text.hasPrefix("https://")
        let rest = text.dropFirst(secure ? "https://".count : "http://".count)
        let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<slash]
        guard let colon = authority.lastIndex(of: ":"),
            let port = Int(authority[authority.index(after: colon)...])
        else { return nil }
        host = String(authority[..<colon])
        self.port = port
        let path = String(rest[slash...].prefix { $0 != "#" })
        target = path.isEmpty || path.hasPrefix("?") ? "/" + path : path
    }

    /// The query parameters, percent-decoded.
    var query: [String: String] {
        guard let q = target.firstIndex(of: "?") else { return [:] }
        return QueryString.parse(target[target.index(after: q)...])
    }
}

/// One HTTP exchange as a test sees it.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    var location: String? { headers["Location"] }
}

/// Sends requests to absolute URLs and follows redirects the way a browser does: every `302`
/// `Location` is requested with `GET`, wherever it points, until a non-redirect answer.
enum Browser {
    /// `tls` is the trust an https URL is verified with (the test CA); http URLs ignore it.
    static func send(
        _ method: String, _ url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        tls: TLSContext? = nil
    ) async throws -> Reply {
        guard let parsed = TestURL(url), !parsed.secure || tls != nil else { throw BrowserError.badURL(url) }
        let client = HTTPClient(
            host: parsed.host, port: parsed.port, timeout: .seconds(20), tls: parsed.secure ? tls : nil)
        var headers = headers
        headers.set("Host", "\(parsed.host):\(parsed.port)")
        let result: Result<HTTPClientResponse, HTTPClientError>
        do {
            result = .success(
                try await client.send(
                    HTTPRequest(method: method, target: parsed.target, headers: headers, body: body)))
        } catch {
            result = .failure(error)
        }
        await client.close()
        let response = try result.get()
        return Reply(
            status: response.status, headers: response.headers, body: response.decodedBody ?? response.body)
    }

    /// `GET url`, then each `Location` in turn. Returns every URL visited and the last reply.
    /// Cookies set along the way are sent back to the origin that set them (RFC 6265, reduced to
    /// what a login needs: name and value per origin), as a browser keeps them during a login.
    static func navigate(
        _ url: String, maxRedirects: Int = 10, cookies: CookieJar = CookieJar(), tls: TLSContext? = nil
    ) async throws
        -> (visited: [String], last: Reply)
    {
        var visited = [url]
        var reply = try await send("GET", url, headers: cookies.headers(for: url), tls: tls)
        cookies.store(reply, from: url)
        while reply.status == 302 || reply.status == 303 {
            guard let location = reply.location, visited.count <= maxRedirects else {
                throw BrowserError.badRedirect(reply.location ?? "(none)")
            }
            // Our server always sends absolute URLs; a browser would resolve a relative one.
            let next = location.hasPrefix("/") ? origin(of: visited.last ?? url) + location : location
            visited.append(next)
            reply = try await send("GET", next, headers: cookies.headers(for: next), tls: tls)
            cookies.store(reply, from: next)
        }
        return (visited, reply)
    }

    static func origin(of url: String) -> String {
        guard let parsed = TestURL(url) else { return url }
        return "\(parsed.secure ? "https" : "http")://\(parsed.host):\(parsed.port)"
    }
}

enum BrowserError: Error { case badURL(String), badRedirect(String) }

/// The cookies one browser holds, by origin (`scheme://host:port`).
final class CookieJar: Sendable {
    private let cookies = Mutex<[String: [String: String]]>([:])

    init() {}

    /// Remembers every `Set-Cookie` of `reply` (name and value only) for the origin of `url`.
    func store(_ reply: Reply, from url: String) {
        let origin = Browser.origin(of: url)
        for header in reply.headers.values("Set-Cookie") {
            let pair = header.prefix { $0 != ";" }
            guard let equals = pair.firstIndex(of: "=") else { continue }
            cookies.withLock {
                $0[origin, default: [:]][String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
        }
    }

    /// The `Cookie` header a browser would send to `url`.
    func headers(for url: String) -> HTTPHeaders {
        let held = cookies.withLock { $0[Browser.origin(of: url)] ?? [:] }
        guard !held.isEmpty else { return HTTPHeaders() }
        return HTTPHeaders([
            (
                "Cookie",
                held.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            )
        ])
    }

    func value(_ name: String, for url: String) -> String? {
        cookies.withLock { $0[Browser.origin(of: url)]?[name] }
    }
}

/// A client application's callback page on loopback port 0: answers 200 and records every
/// request it receives, so a test sees exactly what the browser delivered to it.
struct ClientCallback: Sendable {
    let server: HTTPServer
    let port: Int
    private let received: Recorder

    /// The targets requested so far; shared with the server's handler.
    private final class Recorder: Sendable {
        let targets = Mutex<[String]>([])
    }

    static func start() async throws -> ClientCallback {
        let recorder = Recorder()
        let server = HTTPServer(configuration: HTTPServer.Configuration(host: "127.0.0.1", port: 0)) {
            request in
            recorder.targets.withLock { $0.append(request.target) }
            return HTTPResponse(
                status: 200, headers: HTTPHeaders([("Content-Type", "text/plain")]), body: Array("ok".utf8))
        }
        let port = try await server.start()
        return ClientCallback(server: server, port: port, received: recorder)
    }

    var url: String { "http://127.0.0.1:\(port)/app/callback" }
    var targets: [String] { received.targets.withLock { $0 } }

    func stop() async { await server.shutdown() }
}
