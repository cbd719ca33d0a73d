// tmi-storage-probe: drives the Storage module from a separate process.
//
//   crash --dir D --run R [--tasks 8] [--compact-every 0] [--max 100000]
//       Appends records "R-<task>-<n>" from several tasks into the log "probe" in D, printing
//       "ack <sequence> <record>" for each acknowledged append (one write(2) per line, so a
//       SIGKILL never leaves a half-line claimed as acknowledged). The test kills it mid-stream.
//   bench-append --dir D [--tasks 1] [--records 2000] [--size 1024]
//   bench-recover --dir D [--records 10000] [--size 1024] [--repeat 5]
//       Print one line of figures each; see benchmarks/storage.md.
import Storage

#if canImport(Glibc)
    import Glibc
#endif

let arguments = ProbeArguments(CommandLine.arguments.dropFirst())
do {
    switch arguments.command {
    case "crash": try await CrashMode(arguments).run()
    case "bench-append": try await AppendBenchmark(arguments).run()
    case "bench-recover": try await RecoveryBenchmark(arguments).run()
    default:
        ProbeOutput.line("usage: tmi-storage-probe crash|bench-append|bench-recover --dir D [options]", fd: 2)
        exit(2)
    }
} catch {
    ProbeOutput.line("error: \(error)", fd: 2)
    exit(1)
}

/// `command --flag value ...`
struct ProbeArguments {
    var command = ""
    var values: [String: String] = [:]

    init(_ args: ArraySlice<String>) {
        command = args.first ?? ""
        var rest = args.dropFirst()
        while let flag = rest.popFirst(), flag.hasPrefix("--") {
            values[String(flag.dropFirst(2))] = rest.popFirst() ?? ""
        }
    }

    func string(_ name: String, _ fallback: String) -> String { values[name] ?? fallback }
    func int(_ name: String, _ fallback: Int) -> Int { values[name].flatMap { Int($0) } ?? fallback }
}

enum ProbeOutput {
    /// One `write(2)` per line: lines from concurrent tasks never interleave, and nothing sits
    /// in a user-space buffer when the process is killed.
    static func line(_ text: String, fd: Int32 = 1) {
        let bytes = Array((text + "\n").utf8)
        bytes.withUnsafeBytes { buf in
            var offset = 0
            while offset < buf.count {
                let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 {
                    if errno == EINTR { continue }
                    exit(3)  // the reader is gone
                }
                offset += n
            }
        }
    }
}
