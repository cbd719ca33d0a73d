import Dispatch
import Glibc
import Synchronization

/// Waits for SIGINT or SIGTERM without a signal handler: the default actions are disabled and
/// dispatch sources observe the signals instead, so the process can stop accepting, finish
/// in-flight requests and flush its logs before exiting.
public enum ShutdownSignal {
    /// Suspends until SIGINT or SIGTERM arrives, and returns its number.
    public static func wait(for signals: [Int32] = [SIGINT, SIGTERM]) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let watcher = Watcher(continuation)
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: watcher.queue)
                source.setEventHandler { watcher.fire(number) }
                watcher.retain(source)
                source.resume()
            }
        }
    }

    /// Resumes the continuation once, then cancels the sources.
    private final class Watcher: Sendable {
        let queue = DispatchQueue(label: "tmi.shutdown-signal")
        private let state: Mutex<(continuation: CheckedContinuation<Int32, Never>?, sources: [Source])>

        /// A dispatch source, only touched under `state`'s lock, so sharing it is safe.
        struct Source: @unchecked Sendable {
            let source: any DispatchSourceSignal
        }

        init(_ continuation: CheckedContinuation<Int32, Never>) {
            state = Mutex((continuation, []))
        }

        func retain(_ source: any DispatchSourceSignal) {
            state.withLock { $0.sources.append(Source(source: source)) }
        }

        func fire(_ number: Int32) {
            let continuation = state.withLock { s -> CheckedContinuation<Int32, Never>? in
                defer {
                    s.continuation = nil
                    for held in s.sources { held.source.cancel() }
                    s.sources = []
                }
                return s.continuation
            }
            continuation?.resume(returning: number)
        }
    }
}
