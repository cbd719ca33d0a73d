import Glibc

/// Reading the server's CPU time and resident memory from Linux /proc, and finding which local
/// process listens on a TCP port (so `--server-pid` is rarely needed). Everything here is
/// best-effort: a missing file or a process we may not inspect yields nil, never an error.
public enum ProcFS {
    /// One reading of a process: cumulative CPU seconds (user + system) and resident bytes.
    public struct Sample: Sendable, Equatable {
        public var cpuSeconds: Double
        public var rssBytes: UInt64
    }

    /// Reads a whole /proc file (their size is reported as 0, so read until EOF).
    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Samples `pid` from /proc/PID/stat (utime, stime) and /proc/PID/statm (resident pages).
    public static func sample(pid: Int32) -> Sample? {
        guard let stat = readFile("/proc/\(pid)/stat"), let statm = readFile("/proc/\(pid)/statm"),
            let ticks = parseStatCPUTicks(stat),
            let pages = parseStatmResidentPages(statm)
        else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        return Sample(cpuSeconds: Double(ticks) / (hz > 0 ? hz : 100), rssBytes: pages * pageSize)
    }

    /// utime + stime (fields 14 and 15) from a /proc/PID/stat line. The command name (field 2)
    /// is parenthesised and may itself contain spaces and ')', so counting starts after the last ')'.
    static func parseStatCPUTicks(_ bytes: [UInt8]) -> UInt64? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field n is fields[n - 3].
        guard fields.count > 12,
            let utime = UInt64(String(decoding: fields[11], as: UTF8.self)),
            let stime = UInt64(String(decoding: fields[12], as: UTF8.self))
        else { return nil }
        return utime + stime
    }

    /// The second field of /proc/PID/statm: resident set size in pages.
    static func parseStatmResidentPages(_ bytes: [UInt8]) -> UInt64? {
        let fields = bytes.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == 0x0A })
        guard fields.count > 1 else { return nil }
        return UInt64(String(decoding: fields[1], as: UTF8.self))
    }

    /// Socket inodes of TCP sockets in LISTEN state on `port`, from a /proc/net/tcp{,6} table.
    /// Lines look like `  0: 0100007F:1F90 00000000:0000 0A ... uid timeout inode ...`.
    static func listeningInodes(port: Int, table: [UInt8]) -> [UInt64] {
        var out: [UInt64] = []
        let lines = table.split(separator: 0x0A).dropFirst()  // header
        for line in lines {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count > 9 else { continue }
            let local = fields[1]
            guard let colon = local.lastIndex(of: UInt8(ascii: ":")),
                let localPort = Int(String(decoding: local[(colon + 1)...], as: UTF8.self), radix: 16),
                localPort == port,
                String(decoding: fields[3], as: UTF8.self) == "0A",
                let inode = UInt64(String(decoding: fields[9], as: UTF8.self)), inode != 0
            else { continue }
            out.append(inode)
        }
        return out
    }

    /// The process holding a listening TCP socket on `port`, found by matching the socket's inode
    /// against the `socket:[INODE]` links under /proc/*/fd. Needs permission to read the other
    /// process's fd table (same user, as for a server started locally).
    public static func pidListening(onPort port: Int) -> Int32? {
        var inodes: Set<UInt64> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            if let bytes = readFile(table) { inodes.formUnion(listeningInodes(port: port, table: bytes)) }
        }
        guard !inodes.isEmpty else { return nil }
        let targets = Set(inodes.map { "socket:[\($0)]" })
        for pid in directoryEntries("/proc").compactMap({ Int32($0) }) {
            for fd in directoryEntries("/proc/\(pid)/fd") {
                if let link = readLink("/proc/\(pid)/fd/\(fd)"), targets.contains(link) { return pid }
            }
        }
        return nil
    }

    static func directoryEntries(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { raw in
            readlink(path, raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
