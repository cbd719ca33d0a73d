import Foundation
import Glibc
import Synchronization
import TestSupport
import Testing

/// What slowloris connections cost a `tmi-server` process, measured on that process alone (its
/// own resident memory, `/proc/PID/statm`): the test process runs other suites at the same time,
/// so its own memory says nothing about the server's.
@Suite struct SlowlorisEndToEndTests {
    static var binary: String? { ServerBinary.path }

    /// 300 connections trickle a head byte by byte and never finish it. Every one is answered
    /// 408 or closed by the head timeout, and the server's memory meanwhile stays far below what
    /// a buffer of the whole head limit per connection would take.
    @Test(.enabled(if: binary != nil, "tmi-server is not built beside the tests (swift build)"))
    func slowHeadsAreTimedOutAndCostTheServerLittleMemory() async throws {
        let binary = try #require(Self.binary)
        let data = LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let child = try await ChildServer.start(
            binary: binary, dataDirectory: data,
            arguments: ["--head-timeout", "1", "--max-connections-per-ip", "1000", "--log-level", "warning"])
        let count = 300
        let before = Slowloris.residentKiB(of: child.pid)
        let peak = Mutex(before)
        let results = try await Slowloris.run(port: child.port, count: count) {
            let now = Slowloris.residentKiB(of: child.pid)
            peak.withLock { $0 = max($0, now) }
        }
        let highest = peak.withLock { $0 }
        await child.kill9()
        #expect(before > 0)
        #expect(results.count == count)
        #expect(results.allSatisfy { $0 == "HTTP/1.1 408" || $0 == "closed" }, "\(Set(results))")
        print(
            "slowloris: \(count) connections; tmi-server resident \(before / 1024) MiB before, "
                + "\(highest / 1024) MiB peak (+\((highest - before) / count) KiB per connection)")
        // The head limit is 64 KiB; a connection holding its 4 KB trickle costs a few KiB.
        #expect(highest - before < count * 64)
    }
}
