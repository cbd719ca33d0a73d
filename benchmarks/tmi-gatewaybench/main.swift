// tmi-gatewaybench: the gateway's own CPU per request, without sockets (benchmarks/perf.md).
// Builds the server exactly as tmi-server does (TMIFeatures.application over a throwaway data
// directory, the access log into /dev/null through the same writer thread), logs in with the
// test provider, seeds a threat model, then calls `Gateway.respond` in a loop on the two paths
// of benchmarks/hummingbird-compare.sh and prints nanoseconds per call (median of rounds).
// Usage: tmi-gatewaybench [REQUESTS_PER_ROUND (200000)] [ROUNDS (7)]
import CollabCore
import FoundationEssentials
import Glibc
import RESTGateway
import WireProtocol

func die(_ message: String) -> Never {
    let line = Array("tmi-gatewaybench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let perRound = arguments.first ?? 200_000
let rounds = arguments.dropFirst().first ?? 7

var template = [UInt8]("/tmp/tmi-gatewaybench.XXXXXX".utf8) + [0]
let directory = template.withUnsafeMutableBufferPointer { buffer -> String in
    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
        guard let made = mkdtemp(pointer) else { die("mkdtemp failed") }
        return String(cString: made)
    }
}
defer { _ = try? FileManager.default.removeItem(atPath: directory) }

let configuration: ServerConfiguration
switch try ServerConfiguration.parse(
    arguments: ["--port", "0", "--data-dir", directory], environment: [:])
{
case .run(let parsed): configuration = parsed
case .help: die("unexpected help")
}
try configuration.prepareDataDirectory()
let devNull = open("/dev/null", O_WRONLY)
let sink = StandardErrorSink(descriptor: devNull)
let logger = Logger(sink: sink, minimumLevel: configuration.logLevel)
let application = TMIFeatures.application(configuration: configuration, logger: logger)
let gateway = try await application.makeGateway(environment: application.environment(boundPort: 8080))

func call(_ method: String, _ target: String, token: String? = nil, body: JSONValue? = nil) async
    -> HTTPResponse
{
    var headers = HTTPHeaders([("Host", "127.0.0.1:8080")])
    if let token { headers.add("Authorization", "Bearer \(token)") }
    if body != nil { headers.add("Content-Type", "application/json") }
    let request = HTTPRequest(method: method, target: target, headers: headers, body: body?.serialized() ?? [])
    return await gateway.respond(to: request, peer: "127.0.0.1:40000")
}

// The test provider's login: authorize redirects (through the callback) to the tokens.
var target = "/oauth2/authorize?idp=test&login_hint=alice&scope=openid&state=s1"
var token: String?
for _ in 0..<5 {
    let response = await call("GET", target)
    if let location = response.headers["Location"] {
        target = location.firstRange(of: "/oauth2").map { String(location[$0.lowerBound...]) } ?? location
        continue
    }
    token = (try? JSONValue.parse(response.body))?["access_token"]?.stringValue
    break
}
guard let token else { die("login failed") }
let model: JSONValue = [
    "name": "Payments platform",
    "description": .string(
        "Card payments: the API gateway, the ledger service, the settlement batch and the fraud scorer, "
            + "with their data stores and the partner bank link."),
    "threat_model_framework": "STRIDE", "issue_url": "https://issues.example.com/SEC-1234",
]
let created = await call("POST", "/threat_models", token: token, body: model)
guard let id = (try? JSONValue.parse(created.body))?["id"]?.stringValue else { die("create failed") }
for i in 0..<2 {
    let threat: JSONValue = [
        "name": .string("Threat \(i)"), "severity": "High", "priority": "P1", "mitigated": false,
        "status": "open", "threat_type": "Tampering", "description": "seeded for the benchmark",
    ]
    _ = await call("POST", "/threat_models/\(id)/threats", token: token, body: threat)
}

/// CPU time of the whole process (every thread: the access-log writer's formatting counts).
func processCPUNanoseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

func measure(_ label: String, _ target: String) async {
    var results: [Double] = []
    var cpu: [Double] = []
    var bytes = 0
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        let cpuStart = processCPUNanoseconds()
        for _ in 0..<perRound {
            let response = await call("GET", target, token: token)
            bytes &+= response.body.count
        }
        sink.flush()  // the writer's share of this round, before the clocks are read
        let elapsed = ContinuousClock.now - start
        cpu.append((processCPUNanoseconds() - cpuStart) / Double(perRound))
        let (seconds, attoseconds) = elapsed.components
        results.append((Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(perRound))
    }
    func median(_ values: [Double]) -> String { String(format: "%.0f", values.sorted()[values.count / 2]) }
    let shown = results.map { String(format: "%.0f", $0) }.joined(separator: " ")
    print(
        "\(label): median \(median(results)) ns/request, CPU \(median(cpu)) ns/request "
            + "(rounds: \(shown); \(bytes / (rounds * perRound)) B body)")
}

await measure("GET /", "/")
await measure("GET /threat_models/{id}", "/threat_models/\(id)")
sink.flush()

// The access log's own share, through the sink as tmi-server uses it: entries packed as the I/O
// loops pack them, then formatted and written (to /dev/null) in batches of 1,000 as the writer
// thread does, here on one thread (no coalescing timer fires: it is a minute long).
do {
    let entry = AccessLogEntry(
        time: Date(), method: "GET", target: "/threat_models/\(id)?limit=20", status: 200,
        nanoseconds: 25_000, bytes: 1245, requestID: "a60829eab53219830000000000000001",
        peer: "127.0.0.1:36530", userID: "alice@tmi.local")
    let batches = StandardErrorSink(descriptor: devNull, coalescing: .seconds(60))
    let accessLog = Logger(sink: batches)
    var results: [Double] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        for index in 0..<perRound {
            accessLog.access(entry)
            if index % 1_000 == 999 { batches.flush() }
        }
        batches.flush()
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        results.append((Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(perRound))
    }
    print(String(format: "access-log line (packed, formatted, written): median %.0f ns", results.sorted()[results.count / 2]))
}
