import Glibc
import Synchronization
import Testing

@testable import LoadTestKit

@Suite struct InterruptHandlerTests {
    @Test func firstPressStopsTheRun() {
        let calls = Atomic<Int>(0)
        let handler = InterruptHandler { calls.add(1, ordering: .relaxed) }
        handler.pressed()  // a second press would exit the process: not exercised here
        #expect(calls.load(ordering: .relaxed) == 1)
        signal(SIGINT, SIG_DFL)
    }

    @Test func commandLineHooksFollowQuietAndPID() {
        var options = LoadTestOptions()
        let written = Mutex<[String]>([])
        let loud = LoadTestRunner.Hooks.commandLine(options: options, serverPID: getpid()) { text in
            written.withLock { $0.append(text) }
        }
        loud.progress?(ProgressSnapshot(opsSent: 7))
        #expect(written.withLock { $0.first?.contains("sent 7") } == true)
        #expect(loud.sampleServer?() != nil)
        #expect(loud.sampleClient?() != nil)
        options.quiet = true
        let quiet = LoadTestRunner.Hooks.commandLine(options: options, serverPID: nil) { _ in }
        #expect(quiet.progress == nil && quiet.sampleServer == nil)
    }
}
