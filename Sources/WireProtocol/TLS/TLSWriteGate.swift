import Synchronization

/// Orders ciphertext onto the socket. Only the holder of the gate takes output from the engine
/// and writes it, so records reach the peer in the order the engine produced them even when a
/// WebSocket's reader (a TLS 1.3 KeyUpdate answer, an alert) and writer both produce some.
///
/// The reader never waits for the gate: if a writer holds it, the reader leaves its output in the
/// engine and asks for a flush, and the holder sends it before letting go.
final class TLSWriteGate: Sendable {
    private struct State {
        var held = false
        var flushWanted = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Waits for the gate (first come, first served).
    func acquire() async {
        let acquired = state.withLock { s in
            if s.held { return false }
            s.held = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { continuation in
            let now = state.withLock { s in
                if !s.held {
                    s.held = true
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Takes the gate if free; otherwise asks the holder to flush before releasing.
    func acquireOrRequestFlush() -> Bool {
        state.withLock { s in
            if s.held {
                s.flushWanted = true
                return false
            }
            s.held = true
            return true
        }
    }

    /// Takes the gate only if free (for a best-effort close).
    func tryAcquire() -> Bool {
        state.withLock { s in
            if s.held { return false }
            s.held = true
            return true
        }
    }

    /// Releases the gate, unless a flush was asked for meanwhile: then returns false and the
    /// caller, still holding it, must flush and try again.
    func releaseUnlessFlushWanted() -> Bool {
        let next = state.withLock { s -> (released: Bool, waiter: CheckedContinuation<Void, Never>?) in
            if s.flushWanted {
                s.flushWanted = false
                return (false, nil)
            }
            if s.waiters.isEmpty {
                s.held = false
                return (true, nil)
            }
            return (true, s.waiters.removeFirst())
        }
        next.waiter?.resume()
        return next.released
    }

    /// Releases unconditionally (after a failed write: nothing more will be sent).
    func release() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.flushWanted = false
            if s.waiters.isEmpty {
                s.held = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.resume()
    }
}
