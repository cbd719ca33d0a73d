// WebSocket echo server for Autobahn|Testsuite and the WebSocket benchmark.
//
//   tmi-wsecho [--host H] [--port P]        serve; prints `listening on http://H:P`
//   tmi-wsecho bench --port P [--quick] [--only echo|broadcast|memory-plain|memory-deflate]
//                                            run the benchmark against a running server
//
// Paths: /echo (conformance limits, permessage-deflate offered), /idle (echo with production
// defaults), /broadcast (every message "go"
// from any client is answered by one 200-byte frame broadcast to all /broadcast clients),
// /stats (JSON with the server's resident memory), anything else 404.
import Glibc
import Synchronization
import WireProtocol

/// One unbuffered line to stdout (1) or stderr (2), so scripts see it at once.
func say(_ line: String, to fd: Int32 = 1) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// Resident set size of this process in bytes (second field of /proc/self/statm, in pages).
func residentBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard n > 0 else { return 0 }
    let fields = String(decoding: buffer[..<n], as: UTF8.self).split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * sysconf(Int32(_SC_PAGESIZE))
}

/// The /broadcast clients. Broadcasting encodes once and queues the same bytes on each.
final class BroadcastHub: Sendable {
    private let members = Mutex<[ObjectIdentifier: WebSocketConnection]>([:])
    static let payload = String(repeating: "b", count: 200)

    func join(_ ws: WebSocketConnection) { members.withLock { $0[ObjectIdentifier(ws)] = ws } }
    func leave(_ ws: WebSocketConnection) { members.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(ws)) } }

    func broadcast() {
        let frame = EncodedFrame(text: Self.payload)
        let all = members.withLock { Array($0.values) }
        for ws in all { try? ws.send(frame) }
    }
}

struct EchoResponder: HTTPResponder {
    let hub = BroadcastHub()

    func respond(to request: HTTPRequest, connection: HTTPConnectionInfo) async -> HTTPResponse {
        switch request.path {
        case "/echo":
            return WebSocketEcho.respond(to: request)
        case "/idle":
            // Production defaults (keepalive on, compression when offered): for memory per connection.
            return WebSocketUpgrade.respond(to: request) { ws in
                for await message in ws.messages { try? ws.send(message) }
            }
        case "/broadcast":
            var config = WebSocketConfiguration()
            config.pingInterval = nil
            let hub = self.hub
            return WebSocketUpgrade.respond(to: request, configuration: config) { ws in
                hub.join(ws)
                for await message in ws.messages where message.text == "go" { hub.broadcast() }
                hub.leave(ws)
            }
        case "/stats":
            let body = "{\"rss\":\(residentBytes())}"
            return HTTPResponse(
                status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(body.utf8))
        default:
            return HTTPErrorBody.response(status: 404, error: "not_found", description: "No such path.")
        }
    }
}

var host = "127.0.0.1"
var port = 9001
var benchMode = false
var quick = false
var only: String?
var memoryPath = "/idle"
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--host": host = arguments.popFirst() ?? host
    case "--port": port = arguments.popFirst().flatMap { Int($0) } ?? port
    case "bench": benchMode = true
    case "--quick": quick = true
    case "--only": only = arguments.popFirst()
    case "--memory-path": memoryPath = arguments.popFirst() ?? memoryPath
    default:
        say("usage: tmi-wsecho [--host H] [--port P] | tmi-wsecho bench --port P [--quick]", to: 2)
        exit(2)
    }
}

if benchMode {
    await WebSocketBenchmark(host: host, port: port, quick: quick, only: only, memoryPath: memoryPath).run()
    exit(0)
}

var serverConfig = HTTPServer.Configuration(host: host, port: port)
serverConfig.idleTimeout = .seconds(120)
let server = HTTPServer(configuration: serverConfig, responder: EchoResponder())
do {
    let bound = try await server.start()
    say("listening on http://\(host):\(bound)")
} catch {
    say("tmi-wsecho: cannot listen on \(host):\(port): \(error)", to: 2)
    exit(2)
}
let trap = server.shutdownOnTerminationSignals()
await server.waitUntilStopped()
withExtendedLifetime(trap) {}
