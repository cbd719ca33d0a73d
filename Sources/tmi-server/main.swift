// tmi-server: configuration and start-up only (DESIGN §2). Everything else lives in RESTGateway
// so tests assemble the same server.
import FoundationEssentials
import Glibc
import RESTGateway

/// One clear line on stderr and exit status 2: the contract for a bad flag, a busy port or an
/// unwritable data directory.
func fail(_ message: String) -> Never {
    let line = Array("tmi-server: error: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let configuration: ServerConfiguration
do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch try ServerConfiguration.parse(
        arguments: arguments, environment: ProcessInfo.processInfo.environment)
    {
    case .help(let text):
        print(text, terminator: "")
        exit(0)
    case .run(let parsed):
        configuration = parsed
    }
} catch {
    fail(error.message)
}

do {
    try configuration.prepareDataDirectory()
} catch {
    fail(error.message)
}

let sink = StandardErrorSink()
let logger = Logger(sink: sink, minimumLevel: configuration.logLevel)
let application = Application(
    configuration: configuration, logger: logger, routeProviders: [], authenticator: RejectingAuthenticator())

// TODO(http-server): bind the HTTPServer from WireProtocol once it is on main: bind first (a busy
// port -> fail(...)), then `application.environment(boundPort:)`, `makeGateway`, print
// "listening on http://HOST:PORT" to stdout and flush, serve until `ShutdownSignal.wait()`, then
// drain in-flight requests and `sink.flush()`.
do {
    _ = try await application.makeGateway(environment: application.environment(boundPort: configuration.port))
} catch {
    fail("cannot assemble the server: \(error)")
}
logger.error("the HTTP server is not wired into tmi-server yet")
sink.flush()
exit(1)
