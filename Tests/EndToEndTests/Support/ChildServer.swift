import Foundation

/// Where `swift build`/`swift test` put `tmi-server`: beside the test binary in the build
/// products directory; `TMI_SERVER_BINARY` overrides.
enum ServerBinary {
    static let path: String? = {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["TMI_SERVER_BINARY"] {
            candidates.append(override)
        }
        if let argv0 = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: argv0).deletingLastPathComponent().path + "/tmi-server")
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path + "/tmi-server")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.path + "/.build/debug/tmi-server")
        return candidates.first { access($0, X_OK) == 0 }
    }()
}

/// A real `tmi-server` process on a loopback port 0 over a data directory, as an operator runs
/// it; the test reads the port back from its `listening on` line (DESIGN §8).
struct ChildServer: Sendable {
    let pid: Int32
    let port: Int
    /// Resolved when the process has exited (for any reason).
    private let exited: Task<Int32, Never>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    struct StartFailed: Error, CustomStringConvertible { var description: String }

    /// `stderrPath`: where the child's log lines go (nil: discarded, or `TMI_CHILD_STDERR`).
    static func start(
        binary: String, dataDirectory: String, arguments: [String] = [], stderrPath: String? = nil
    ) async throws -> ChildServer {
        try await launch(
            binary, ["--port", "0", "--host", "127.0.0.1", "--data-dir", dataDirectory] + arguments,
            stderrPath: stderrPath)
    }

    /// Runs `executable` with `arguments`, which must end up exec-ing `tmi-server` (a wrapper
    /// such as `nsenter` that execs without forking keeps `pid` the server's).
    static func launch(_ executable: String, _ arguments: [String], stderrPath: String? = nil) async throws
        -> ChildServer
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        // TMI_CHILD_STDERR=DIR keeps each child's log there (debugging a failing end-to-end test).
        if let stderrPath, FileManager.default.createFile(atPath: stderrPath, contents: nil) {
            process.standardError = FileHandle(forWritingAtPath: stderrPath) ?? FileHandle.nullDevice
        } else if let dir = ProcessInfo.processInfo.environment["TMI_CHILD_STDERR"] {
            let path = "\(dir)/tmi-child-\(UUID().uuidString).log"
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: path) ?? FileHandle.nullDevice
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        let pid = process.processIdentifier
        let exited = Task.detached { () -> Int32 in
            await Self.onThread {
                // Holds the pipe open until the child exits, so a late write cannot SIGPIPE it.
                withExtendedLifetime(stdout) { process.waitUntilExit() }
                return process.terminationStatus
            }
        }
        let line = await Self.onThread { Self.firstLine(of: stdout.fileHandleForReading.fileDescriptor) }
        guard let line, let colon = line.lastIndex(of: ":"), line.hasPrefix("listening on "),
            let port = Int(line[line.index(after: colon)...])
        else {
            kill(pid, SIGKILL)
            throw StartFailed(description: "tmi-server did not announce its port (got \(line ?? "nothing"))")
        }
        return ChildServer(pid: pid, port: port, exited: exited)
    }

    /// SIGKILL: no shutdown code runs, exactly as in a power cut of the process.
    func killNow() { kill(pid, SIGKILL) }

    /// Sends SIGKILL and waits until the process is gone.
    func kill9() async {
        killNow()
        _ = await exited.value
    }

    /// The first line written to `fd`, read on a thread of its own (the reads block); nil on end
    /// of file or after 60 s without a line (a safety net against a hung child, not a timing).
    static func firstLine(of fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 60_000) > 0 else { return nil }
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
    }

    /// Runs blocking `work` on a dedicated thread, off the cooperative pool.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
