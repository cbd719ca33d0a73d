// A bare HTTP server on WireProtocol for wrk: `GET /` answers a ~300-byte JSON shaped like the
// spec's ApiInfo, `GET /json1k` a ~1 KB JSON, and `GET /threat_models/<anything>` the bytes of
// `--json-file` (benchmarks/hummingbird-compare.sh: our HTTP layer with no gateway behind it, the
// ceiling the whole server is measured against).
// Usage: tmi-httpbench [--host H] [--port P] [--json-file FILE]
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
    let model: [UInt8]

    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        switch request.path {
        case "/": HTTPResponse(status: 200, headers: Self.json, body: Self.apiInfo)
        case "/json1k": HTTPResponse(status: 200, headers: Self.json, body: Self.json1k)
        // On the UTF-8 bytes: `hasPrefix` on a `Substring` compares characters, which was 4 % of
        // this server's CPU on the JSON read.
        case let path where path.utf8.starts(with: "/threat_models/".utf8):
            HTTPResponse(status: 200, headers: Self.json, body: model)
        default: HTTPErrorBody.response(status: 404, error: "not_found", description: "No such path.")
        }
    }
}

/// One unbuffered line to stdout (1) or stderr (2), so scripts see it at once.
func say(_ line: String, to fd: Int32) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// The whole file, or nil if it cannot be read.
func contents(of path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { return bytes }
        bytes += chunk[0..<n]
    }
}

var host = "127.0.0.1"
var port = 8080
var model = Array("{}".utf8)
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--host": host = arguments.popFirst() ?? host
    case "--port": port = arguments.popFirst().flatMap { Int($0) } ?? port
    case "--json-file":
        guard let path = arguments.popFirst(), let bytes = contents(of: path) else {
            say("tmi-httpbench: --json-file needs a readable file", to: 2)
            exit(2)
        }
        model = bytes
    default:
        say("usage: tmi-httpbench [--host H] [--port P] [--json-file FILE]", to: 2)
        exit(2)
    }
}

let server = HTTPServer(configuration: .init(host: host, port: port), responder: BenchResponder(model: model))
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
