// tmi-server: configuration and start-up only (DESIGN §2). Everything else lives in RESTGateway
// so tests assemble the same server.
import FoundationEssentials
import Glibc
import RESTGateway
import WireProtocol

/// Writes all of `text` to a file descriptor, unbuffered (stdout may be a pipe a script reads).
func emit(_ text: String, to fd: Int32) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n > 0 {
            offset += n
        } else if n < 0 && errno == EINTR {
            continue
        } else {
            return
        }
    }
}

/// One clear line on stderr and exit status 2: the contract for a bad flag, a busy port or an
/// unwritable data directory.
func fail(_ message: String) -> Never {
    emit("tmi-server: error: \(message)\n", to: 2)
    exit(2)
}

// Store tools (docs/storage.md): `migrate`, `export`, `import` do their work and exit.
if let verb = CommandLine.arguments.dropFirst().first, StoreTool.verbs.contains(verb) {
    do {
        let output = try await StoreTool.run(
            Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment,
            stdin: StoreTool.readStandardInput)
        emit(String(decoding: output, as: UTF8.self), to: 1)
        exit(0)
    } catch {
        fail(error.description)
    }
}

let configuration: ServerConfiguration
do {
    let arguments = Array(CommandLine.arguments.dropFirst())
    switch try ServerConfiguration.parse(
        arguments: arguments, environment: ProcessInfo.processInfo.environment)
    {
    case .help(let text):
        emit(text, to: 1)
        exit(0)
    case .run(let parsed):
        configuration = parsed
    }
} catch {
    fail(error.message)
}

// Every connection is a descriptor: lift the open-file limit to cover --max-connections plus
// the listener, data files and outgoing connections, or say plainly that it cannot (issue 15).
let descriptorsNeeded = configuration.maxConnections + 256
if let limit = FileDescriptorLimit.raise(toAtLeast: descriptorsNeeded), !limit.reached {
    emit(
        "tmi-server: warning: the open-file limit is \(limit.current) (hard limit \(limit.hard)), below the "
            + "\(descriptorsNeeded) that --max-connections \(configuration.maxConnections) needs; connections past "
            + "about \(max(0, limit.current - 256)) will be refused (raise `ulimit -Hn` or lower --max-connections)\n",
        to: 2)
}

do {
    try configuration.prepareDataDirectory()
} catch {
    fail(error.message)
}

let sink = StandardErrorSink()
let logger = Logger(sink: sink, minimumLevel: configuration.logLevel)
let application = TMIFeatures.application(configuration: configuration, logger: logger)

let running: RunningServer
do {
    running = try await application.start()
} catch {
    fail(error.message)
}
// Installed before announcing, so a script that signals right after reading the line is served.
let signalTrap = running.server.shutdownOnTerminationSignals()
let reloadTrap = running.reloadTLSOnHangup(logger: logger)
emit(running.listeningLine + "\n", to: 1)
logger.info(
    "started",
    [
        ("port", .number(Double(running.port))), ("base_url", .string(running.environment.baseURL)),
        ("data_dir", .string(configuration.dataDirectory)), ("build", .string(ServerBuild.version)),
    ])

await running.server.waitUntilStopped()
await running.stopFeatures()
logger.info("stopped")
sink.flush()
withExtendedLifetime((signalTrap, reloadTrap)) {}
exit(0)
