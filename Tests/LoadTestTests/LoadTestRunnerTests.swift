import CollabCore
import Synchronization
import Testing

@testable import LoadTestKit

@Suite struct LoadTestRunnerTests {
    static func options(
        diagrams: Int = 2, editors: Int = 3, rate: Double = 10, duration: Double = 3, warmup: Double = 1
    ) -> LoadTestOptions {
        var o = LoadTestOptions()
        o.diagrams = diagrams
        o.editors = editors
        o.rate = rate
        o.duration = duration
        o.warmup = warmup
        o.seed = 3
        return o
    }

    static func runner(
        _ options: LoadTestOptions, _ server: FakeServer, hooks: LoadTestRunner.Hooks = .init()
    )
        -> LoadTestRunner
    {
        LoadTestRunner(
            options: options, transport: server, clock: VirtualClock(settledWhen: { server.isSettled }),
            hooks: hooks,
            drainTimeout: .seconds(30),
            pendingTimeout: .seconds(3600))
    }

    @Test func fullRunConvergesAndMeasuresTheOfferedLoad() async throws {
        let server = FakeServer()
        let progress = Mutex<[ProgressSnapshot]>([])
        let hooks = LoadTestRunner.Hooks(progress: { p in progress.withLock { $0.append(p) } })
        let report = try await Self.runner(Self.options(), server, hooks: hooks).run()
        // Open loop: every editor has exactly rate x duration slots in the measured window.
        #expect(report.opsSent + report.cursorsSent + report.undosSent == 2 * 3 * 30)
        #expect(report.opsSent > 100)
        #expect(report.opsAcked + report.totalRejected == report.opsSent)
        #expect(report.ack.count == UInt64(report.opsAcked))
        #expect(report.delivery.count == UInt64(report.opsAcked))  // every acked op reached both peers
        #expect(report.undelivered == 0 && report.unacknowledged == 0)
        #expect(report.errors == 0 && report.reconnects == 0)
        #expect(report.convergence.converged && report.convergence.editorsChecked == 6)
        #expect(report.cursorsSent > 0)  // the presenters moved their cursors
        #expect(report.messagesOut == 2 * 3 * 30)  // every scheduled slot sent one message
        #expect(report.messagesIn > 0)
        #expect(report.exitCode == 0)
        #expect(server.state.withLock { $0.sessions.count } == 2)
        #expect(!progress.withLock { $0 }.isEmpty)
    }

    /// Readers that run late (as on a busy machine) still have their receipts counted in the
    /// window: the virtual clock waits for them before it moves.
    @Test func lateReadersStillCountTheirReceipts() async throws {
        let server = FakeServer(readerLag: 1000)
        let report = try await Self.runner(Self.options(), server).run()
        #expect(report.messagesIn > 0)
        #expect(report.delivery.count == UInt64(report.opsAcked))
        #expect(report.undelivered == 0 && report.unacknowledged == 0)
        #expect(report.convergence.converged)
    }

    @Test func divergenceFromRESTFailsTheRunWithTheCell() async throws {
        let report = try await Self.runner(Self.options(diagrams: 1), FakeServer(restGhostCell: true)).run()
        #expect(!report.convergence.converged)
        #expect(report.convergence.difference?.cellID == "ghost")
        #expect(report.convergence.difference?.editorValue == nil)
        #expect(report.exitCode == 1)
        #expect(report.json["converged"] == JSONValue.bool(false))
    }

    @Test func unreachableServerAndBadLoginAreSetupErrors() async {
        await #expect(throws: LoadTestError.self) {
            try await Self.runner(Self.options(), FakeServer(unreachable: true)).run()
        }
        do {
            _ = try await Self.runner(Self.options(), FakeServer(loginStatus: 401)).run()
            Issue.record("login should have failed")
        } catch {
            guard case .login(let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(message.contains("401"))
            #expect(error.description.hasPrefix("login failed:"))
        }
    }

    @Test func interruptStopsSendingAndStillReports() async throws {
        let box = Mutex<LoadTestRunner?>(nil)
        let server = FakeServer(onOperation: { count in
            if count == 40 { box.withLock { $0 }?.interrupt() }
        })
        let runner = Self.runner(Self.options(duration: 30, warmup: 0), server)
        box.withLock { $0 = runner }
        let report = try await runner.run()
        #expect(report.interrupted)
        #expect(report.opsSent < 2 * 3 * 300 / 2)
        #expect(report.opsSent >= 30)
        #expect(report.convergence.converged)
        #expect(report.measuredSeconds < 30)
        #expect(report.summaryText.contains("[interrupted]"))
    }

    @Test func droppedConnectionReconnectsAndStillConverges() async throws {
        let report = try await Self.runner(Self.options(diagrams: 1), FakeServer(dropAfterOperations: 15))
            .run()
        #expect(report.reconnects >= 1)
        #expect(report.convergence.converged)
    }

    @Test func stepModeGrowsEditorsWhileTheLimitHolds() async throws {
        var options = Self.options(diagrams: 1, editors: 2, duration: 1, warmup: 0)
        options.stepUntilP99Ms = 1e9
        options.maxSteps = 3
        let report = try await Self.runner(options, FakeServer()).run()
        #expect(report.steps.map(\.editorsPerDiagram) == [2, 4, 6])
        #expect(report.steps.allSatisfy { $0.held })
        #expect(report.maxLoadHeld?.totalEditors == 6)
        #expect(report.maxLoadHeld?.offeredOpsPerSecond == 60)
    }

    @Test func stepModeStopsAtTheFirstStepOverTheLimit() async throws {
        var options = Self.options(diagrams: 1, editors: 2, duration: 1, warmup: 0)
        options.stepUntilP99Ms = 10
        let clock = VirtualClock()
        // Every operation costs the server 50 ms of virtual time, so delivery p99 ≥ 50 ms.
        let server = FakeServer(onOperation: { _ in clock.time.withLock { $0 += .milliseconds(50) } })
        let runner = LoadTestRunner(
            options: options, transport: server, clock: clock, drainTimeout: .seconds(30),
            pendingTimeout: .seconds(3600))
        let report = try await runner.run()
        #expect(report.steps.count == 1)
        #expect(report.steps.first?.held == false)
        #expect((report.steps.first?.delivery.p99Ms ?? 0) >= 50)
        #expect(report.maxLoadHeld == nil)
    }
}
