import Foundation
import Testing

@testable import Storage

/// Where `swift build`/`swift test` put the probe: beside the test binary in the build products
/// directory; `TMI_STORAGE_PROBE` overrides.
enum ProbeBinary {
    static let path: String? = {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["TMI_STORAGE_PROBE"] {
            candidates.append(override)
        }
        if let argv0 = CommandLine.arguments.first {
            candidates.append(
                URL(fileURLWithPath: argv0).deletingLastPathComponent().path + "/tmi-storage-probe")
        }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path + "/tmi-storage-probe")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.path + "/.build/debug/tmi-storage-probe")
        return candidates.first { access($0, X_OK) == 0 }
    }()
}

/// A real crash: a child process appends from 8 tasks (compacting every 150 records) and is
/// killed with SIGKILL once it has acknowledged 500 records; three times over the same directory.
/// After each kill, every acknowledged record must be recovered, exactly once, at its sequence.
@Suite struct DurableLogKillTests {
    @Test(
        .enabled(if: ProbeBinary.path != nil, "tmi-storage-probe is not built beside the tests (swift build)")
    )
    func sigkillLosesNoAcknowledgedRecord() async throws {
        let binary = try #require(ProbeBinary.path)
        let dir = try TempDirectory("kill")
        defer { dir.remove() }
        var acknowledged: [UInt64: String] = [:]
        for round in 0..<3 {
            let run = try await IOThread.runOnce(name: "probe-reader") {
                ProbeRun.runAndKill(binary: binary, directory: dir.path, run: "round\(round)", killAfter: 500)
            }
            try #require(run.problem == nil, "\(run.problem ?? "")")
            #expect(run.acks.count >= 500)
            for (sequence, record) in run.acks {
                #expect(acknowledged[sequence] == nil, "sequence \(sequence) acknowledged twice")
                acknowledged[sequence] = record
            }

            let (log, recovery) = try await DurableLog.open(directory: dir.path, name: "probe")
            await log.close()
            var history = recovery.snapshot.map { ProbeRun.lines(of: $0) } ?? []
            #expect(history.count == Int(recovery.snapshotSequence))
            #expect(
                recovery.records.map(\.sequence)
                    == Array(recovery.records.indices).map { UInt64(history.count + $0 + 1) })
            history += recovery.records.map(\.text)
            #expect(Set(history).count == history.count, "a record was recovered twice")
            let missing = acknowledged.filter { sequence, record in
                sequence > UInt64(history.count) || history[Int(sequence) - 1] != record
            }
            #expect(missing.isEmpty, "round \(round): \(missing.count) acknowledged records lost or moved")
        }
    }
}

/// One run of the probe, read on a dedicated thread (the reads and the wait block).
struct ProbeRun: Sendable {
    var acks: [(UInt64, String)] = []
    var problem: String?

    static func runAndKill(binary: String, directory: String, run: String, killAfter: Int) -> ProbeRun {
        var result = ProbeRun()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return ProbeRun(problem: "pipe failed: errno \(errno)") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "crash", "--dir", directory, "--run", run, "--tasks", "8", "--compact-every", "150", "--max",
            "50000",
        ]
        process.standardOutput = FileHandle(fileDescriptor: fds[1], closeOnDealloc: false)
        do {
            try process.run()
        } catch {
            close(fds[0])
            close(fds[1])
            return ProbeRun(problem: "cannot start \(binary): \(error)")
        }
        close(fds[1])
        defer { close(fds[0]) }

        var killed = false
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            var ready = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            // A safety net against a hung probe, not a timing assertion.
            guard poll(&ready, 1, 120_000) > 0 else {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                result.problem = "probe produced no output for 120 s"
                return result
            }
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += chunk[..<n]
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let words = String(decoding: pending[..<newline], as: UTF8.self).split(separator: " ")
                pending.removeSubrange(...newline)
                guard words.count == 3, words[0] == "ack", let sequence = UInt64(words[1]) else {
                    result.problem = "unexpected probe output: \(words.joined(separator: " "))"
                    continue
                }
                result.acks.append((sequence, String(words[2])))
            }
            if !killed && result.acks.count >= killAfter {
                kill(process.processIdentifier, SIGKILL)
                killed = true
            }
        }
        process.waitUntilExit()
        if !killed {
            result.problem =
                "probe exited with status \(process.terminationStatus) after \(result.acks.count) acks"
        } else if process.terminationReason != .uncaughtSignal {
            result.problem = "probe was not killed by the signal"
        }
        return result
    }

    static func lines(of snapshot: [UInt8]) -> [String] {
        snapshot.isEmpty
            ? []
            : snapshot.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
    }
}
