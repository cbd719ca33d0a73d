import Dispatch
import Glibc
import Synchronization

/// Keeps SIGINT/SIGTERM handlers alive; drop it to stop handling them.
public final class SignalTrap: @unchecked Sendable {
    // Safe: the sources are only read in deinit, after init wrote them once.
    private let sources: [any DispatchSourceSignal]

    init(sources: [any DispatchSourceSignal]) { self.sources = sources }

    /// Stops handling and restores the default action, so the signals terminate the process again.
    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Runs `action` (once) on the first SIGINT or SIGTERM instead of dying, using Dispatch
    /// signal sources (the handler runs on a Dispatch queue, not in a signal context).
    ///
    /// Returns only once both sources are registered: `resume()` arms a source asynchronously,
    /// and a signal arriving in between met the `SIG_IGN` disposition and was lost, so a script
    /// that signalled right after reading `listening on` sometimes left the server running
    /// (about 1 run in 10; benchmarks/rest.md). The wait is short and start-up only; the
    /// registration handlers run on the global queue, never on the caller's.
    public static func onTermination(_ action: @escaping @Sendable (Int32) -> Void) -> SignalTrap {
        let once = OnceFlag()
        let registered = DispatchSemaphore(value: 0)
        let sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if once.claim() { action(number) }
            }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            return source
        }
        for _ in sources { registered.wait() }
        return SignalTrap(sources: sources)
    }
}

extension HTTPServer {
    /// Shuts the server down gracefully on SIGINT/SIGTERM; `waitUntilStopped()` then returns.
    public func shutdownOnTerminationSignals() -> SignalTrap {
        SignalTrap.onTermination { _ in
            Task { await self.shutdown() }
        }
    }
}

/// A flag that can be claimed once.
final class OnceFlag: Sendable {
    private let claimed = Atomic<Bool>(false)

    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}
