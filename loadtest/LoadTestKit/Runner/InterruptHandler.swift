import Dispatch
import Glibc
import Synchronization

/// Ctrl-C handling for the executable: the first SIGINT asks the runner to stop sending (it then
/// drains, checks convergence and prints what ran); a second one exits at once with 130.
/// A dispatch signal source runs the handler on a queue, not in signal context, so it may lock
/// and call into the runner.
public final class InterruptHandler: Sendable {
    let presses = Atomic<Int>(0)
    // Assigned once in init and only cancelled in deinit; DispatchSource is thread-safe.
    nonisolated(unsafe) let source: any DispatchSourceSignal
    let onFirst: @Sendable () -> Void

    public init(onFirst: @escaping @Sendable () -> Void) {
        self.onFirst = onFirst
        signal(SIGINT, SIG_IGN)  // the dispatch source sees it instead of the default action
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.pressed() }
        source.resume()
    }

    /// Counts a press; the first stops the run, the second quits.
    func pressed() {
        if presses.add(1, ordering: .relaxed).newValue == 1 {
            onFirst()
        } else {
            exit(130)
        }
    }

    deinit { source.cancel() }
}
