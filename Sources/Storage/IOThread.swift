import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A dedicated OS thread that runs blocking file work (`write`, `fsync`, `rename`) one job at a
/// time, in submission order.
///
/// Why a thread of our own: Swift's cooperative pool has one thread per core, and a blocking
/// `fsync` there stalls every actor in the process (DESIGN §3). Jobs never overlap, so state that
/// only jobs touch needs no further coordination.
public final class IOThread: Sendable {
    public typealias Job = @Sendable () -> Void

    private struct Queue {
        var jobs: [Job] = []
        var head = 0
        var stopping = false
    }

    public let name: String
    private let queue = Mutex(Queue())
    /// Counts queued jobs (plus one for the stop request): the thread sleeps on it when idle.
    private let wakeup = DispatchSemaphore(value: 0)

    /// Starts the thread. `name` appears in error messages.
    /// Throws when the process cannot start another thread.
    public init(name: String) throws(StorageError) {
        self.name = name
        try IOThread.spawn(name: name) { [self] in runLoop() }
    }

    /// Queues `job`; false (and the job is dropped) when the thread was stopped.
    @discardableResult
    public func submit(_ job: @escaping Job) -> Bool {
        let accepted = queue.withLock { q -> Bool in
            guard !q.stopping else { return false }
            q.jobs.append(job)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Runs `body` on this thread and returns its result to the suspended caller.
    public func run<T: Sendable>(
        _ body: @escaping @Sendable () throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        let result = await withCheckedContinuation {
            (c: CheckedContinuation<Result<T, StorageError>, Never>) in
            let accepted = submit {
                do throws(StorageError) {
                    c.resume(returning: .success(try body()))
                } catch {
                    c.resume(returning: .failure(error))
                }
            }
            if !accepted { c.resume(returning: .failure(.closed(path: "I/O thread \(name)"))) }
        }
        return try result.get()
    }

    /// Lets the jobs already queued finish, then ends the thread. Later `submit`s are refused.
    public func stop() {
        let first = queue.withLock { q -> Bool in
            defer { q.stopping = true }
            return !q.stopping
        }
        if first { wakeup.signal() }
    }

    private func runLoop() {
        while true {
            wakeup.wait()
            let job: Job? = queue.withLock { q in
                guard q.head < q.jobs.count else { return nil }  // only the stop signal is left
                let job = q.jobs[q.head]
                q.head += 1
                if q.head >= 64 && q.head * 2 >= q.jobs.count {
                    q.jobs.removeFirst(q.head)
                    q.head = 0
                }
                return job
            }
            guard let job else { return }
            job()
        }
    }

    /// Starts a detached pthread running `body`.
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(StorageError) {
        final class Box {
            let body: @Sendable () -> Void
            init(body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let box = Unmanaged.passRetained(Box(body: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<Box>.fromOpaque(box).release()
            throw .io(operation: "pthread_create", path: name, errno: rc)
        }
        pthread_detach(thread)
    }
}

extension IOThread {
    /// Runs `body` on a short-lived thread of its own (for rare, long jobs such as a snapshot).
    public static func runOnce<T: Sendable>(
        name: String, _ body: @escaping @Sendable () throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        let result = await withCheckedContinuation {
            (c: CheckedContinuation<Result<T, StorageError>, Never>) in
            do throws(StorageError) {
                try spawn(name: name) {
                    do throws(StorageError) {
                        c.resume(returning: .success(try body()))
                    } catch {
                        c.resume(returning: .failure(error))
                    }
                }
            } catch {
                c.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    /// Runs `body` on `thread` if given, else on a short-lived thread.
    static func run<T: Sendable>(
        on thread: IOThread?, name: String, _ body: @escaping @Sendable () throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        if let thread { return try await thread.run(body) }
        return try await runOnce(name: name, body)
    }
}
