import Glibc
import WireProtocol

/// Slowloris clients: each connection sends a request head one byte at a time and never finishes
/// it, so only the server's head timeout ends it. Shared by the HTTP layer's abuse test (the
/// outcome) and the end-to-end test that measures a server process's memory meanwhile.
public enum Slowloris {
    /// A head that never ends: 4 KB of one field value after the request line.
    static let trickle =
        Array("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 4096)

    /// Runs `count` such connections to `port` at once and returns how each ended: the first 12
    /// bytes of the server's answer ("HTTP/1.1 408"), "closed", or "never closed" (the whole
    /// trickle was accepted). `observe` runs once per connection that ended, while the others
    /// still trickle.
    public static func run(port: Int, count: Int, observe: @Sendable () -> Void = {}) async throws -> [String]
    {
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<count {
                group.addTask { try await oneConnection(port: port) }
            }
            var outcomes: [String] = []
            for try await outcome in group {
                outcomes.append(outcome)
                observe()
            }
            return outcomes
        }
    }

    private static func oneConnection(port: Int) async throws -> String {
        let connection = try await TCPConnection.connect(host: "127.0.0.1", port: port)
        defer { connection.close() }
        var buffer = [UInt8](repeating: 0, count: 1024)
        // One byte, then another whenever the server has been quiet for a while; the read
        // deadline is the pace of the trickle, not an assertion on time.
        for byte in trickle {
            do {
                try await connection.write([byte])
            } catch {
                return "closed"
            }
            do {
                let n = try await connection.read(into: &buffer, deadline: .after(.milliseconds(200)))
                if n == 0 { return "closed" }
                return String(decoding: buffer[0..<min(n, 12)], as: UTF8.self)
            } catch {
                if error == .timedOut { continue }
                return "closed"
            }
        }
        return "never closed"
    }

    /// Resident memory of process `pid` in KiB (`/proc/PID/statm`), 0 if it cannot be read.
    public static func residentKiB(of pid: Int32) -> Int {
        guard let file = fopen("/proc/\(pid)/statm", "r") else { return 0 }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}
