import Glibc
import Testing

@testable import LoadTestKit

@Suite struct ProcFSTests {
    @Test func samplesThisProcess() throws {
        let sample = try #require(ProcFS.sample(pid: getpid()))
        #expect(sample.rssBytes > 1_000_000)  // a Swift test process is several MB resident
        #expect(sample.cpuSeconds >= 0)
        // Burn some CPU and see the counter move (ticks are 10 ms; 200 ms of work is plenty).
        var x: UInt64 = 1
        var later = sample
        for round in 0..<50 {
            for i in 0..<5_000_000 { x = x &* 6_364_136_223_846_793_005 &+ UInt64(i) }
            later = try #require(ProcFS.sample(pid: getpid()))
            if later.cpuSeconds > sample.cpuSeconds || round == 49 { break }
        }
        #expect(x != 0)
        #expect(later.cpuSeconds > sample.cpuSeconds)
    }

    @Test func parsesStatWithAwkwardCommandName() {
        let line = "4242 (a) b) c) R 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0 100 1000 50\n"
        #expect(ProcFS.parseStatCPUTicks(Array(line.utf8)) == 175)
        #expect(ProcFS.parseStatCPUTicks(Array("garbage".utf8)) == nil)
        #expect(ProcFS.parseStatmResidentPages(Array("1000 250 30 1 0 80 0\n".utf8)) == 250)
    }

    @Test func parsesListeningSocketsFromTCPTable() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5551 1 0
               1: 0100007F:1F90 0100007F:A000 01 00000000:00000000 00:00000000 00000000  1000        0 5552 1 0
               2: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5553 1 0
            """
        #expect(ProcFS.listeningInodes(port: 8080, table: Array(table.utf8)) == [5551])
        #expect(ProcFS.listeningInodes(port: 9, table: Array(table.utf8)).isEmpty)
    }

    @Test func findsThisProcessByItsListeningPort() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0)
        try #require(listen(fd, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        #expect(ProcFS.pidListening(onPort: port) == getpid())
    }

    @Test func serverUsageComputesCPUPercent() {
        var usage = ProcessUsage(pid: 1)
        usage.add(ProcFS.Sample(cpuSeconds: 10, rssBytes: 100), atElapsed: 0)
        usage.add(ProcFS.Sample(cpuSeconds: 10.5, rssBytes: 300), atElapsed: 1)
        usage.add(ProcFS.Sample(cpuSeconds: 12.5, rssBytes: 200), atElapsed: 2)
        #expect(usage.points.map(\.cpuPercent) == [50, 200])
        #expect(usage.meanCPUPercent == 125)
        #expect(usage.maxCPUPercent == 200)
        #expect(usage.maxRSSBytes == 300 && usage.lastRSSBytes == 200)
    }
}
