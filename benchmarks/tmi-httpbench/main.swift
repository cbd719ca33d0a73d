// A bare HTTP server on WireProtocol for wrk: `GET /` answers a ~300-byte JSON shaped like the
// spec's ApiInfo, `GET /json1k` a ~1 KB JSON. Usage: tmi-httpbench [--host H] [--port P]
import Glibc
import WireProtocol

struct BenchResponder: HTTPResponder {
    static let apiInfo = Array(
        (#"{"status":{"code":"OK","time":"2025-09-01T12:00:00Z"},"#
            + #""service":{"name":"TMI (Threat Modeling Improved) API","build":"1.0.0-bench+swift"},"#
            + #""api":{"version":"1.0.0","specification":"https://github.com/ericfitz/tmi/blob/main/docs/reference/apis/tmi-openapi.json"},"#
            + #""operator":{"name":"TMI benchmark","contact":"ops@example.com"}}"#).utf8)
    static let json1k = Array(
        ("["
            + (0..<12).map { i in
                #"{"id":"6f1c2a3b-0000-4000-8000-00000000000\#(i % 10)","name":"Threat \#(i)","severity":"high","status":"open"}"#
            }.joined(separator: ",") + "]").utf8)
    static let json = HTTPHeaders([("Content-Type", "application/json")])

    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        switch request.path {
        case "/": HTTPResponse(status: 200, headers: Self.json, body: Self.apiInfo)
        case "/json1k": HTTPResponse(status: 200, headers: Self.json, body: Self.json1k)
        default: HTTPErrorBody.response(status: 404, error: "not_found", description: "No such path.")
        }
    }
}

/// One unbuffered line to stdout (1) or stderr (2), so scripts see it at once.
func say(_ line: String, to fd: Int32) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

var host = "127.0.0.1"
var port = 8080
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--host": host = arguments.popFirst() ?? host
    case "--port": port = arguments.popFirst().flatMap { Int($0) } ?? port
    default:
        say("usage: tmi-httpbench [--host H] [--port P]", to: 2)
        exit(2)
    }
}

let server = HTTPServer(configuration: .init(host: host, port: port), responder: BenchResponder())
do {
    let bound = try await server.start()
    say("listening on http://\(host):\(bound)", to: 1)
} catch {
    say("tmi-httpbench: cannot listen on \(host):\(port): \(error)", to: 2)
    exit(2)
}
let trap = server.shutdownOnTerminationSignals()
await server.waitUntilStopped()
withExtendedLifetime(trap) {}
