import Glibc

/// The process's resident memory, CPU time, open descriptors and start time, read from `/proc`
/// at scrape time (Linux; elsewhere the figures are simply left out).
enum ProcessMetrics {
    static func render(into out: inout MetricsText) {
        if let (user, system, start) = cpuAndStart() {
            let ticks = Double(max(sysconf(Int32(_SC_CLK_TCK)), 1))
            out.single(
                "process_cpu_seconds_total", .counter, help: "User and system CPU time spent, in seconds.",
                (user + system) / ticks)
            if let boot = bootTime() {
                out.single(
                    "process_start_time_seconds", .gauge, help: "Start time of the process since the epoch.",
                    boot + start / ticks)
            }
        }
        if let rss = residentBytes() {
            out.single("process_resident_memory_bytes", .gauge, help: "Resident memory size in bytes.", rss)
        }
        if let fds = openDescriptors() {
            out.single("process_open_fds", .gauge, help: "Open file descriptors.", Double(fds))
        }
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// utime, stime and starttime (fields 14, 15 and 22 of `/proc/self/stat`, in clock ticks).
    /// The command name (field 2) may hold spaces and parentheses, so fields are counted from
    /// the last `)`.
    static func cpuAndStart() -> (Double, Double, Double)? {
        guard let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state).
        guard fields.count > 19, let u = Double(fields[11]), let s = Double(fields[12]),
            let start = Double(fields[19])
        else { return nil }
        return (u, s, start)
    }

    static func residentBytes() -> Double? {
        guard let status = read("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Double(parts[1]) { return kb * 1024 }
        }
        return nil
    }

    static func bootTime() -> Double? {
        guard let stat = read("/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingPrefix(" "))
        }
        return nil
    }

    static func openDescriptors() -> Int? {
        guard let dir = opendir("/proc/self/fd") else { return nil }
        defer { closedir(dir) }
        var n = 0
        while readdir(dir) != nil { n += 1 }
        return max(0, n - 3)  // ".", ".." and the descriptor of the listing itself
    }
}
