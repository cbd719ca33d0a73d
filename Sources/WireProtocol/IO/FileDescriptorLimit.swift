import Glibc

/// The process's open-file limit (`RLIMIT_NOFILE`). Every socket is a descriptor, so a server
/// meant for `--max-connections` sockets, or a load tool opening thousands of WebSockets, raises
/// its soft limit toward the hard limit at start (an unprivileged process may always do that) and
/// says so plainly when even the hard limit is too low, instead of failing later with EMFILE.
public enum FileDescriptorLimit {
    /// The outcome of `raise(toAtLeast:)`.
    public struct Outcome: Sendable, Equatable {
        /// The soft limit before the call.
        public var previous: Int
        /// The soft limit now in force.
        public var current: Int
        /// The hard limit (the ceiling an unprivileged process cannot pass).
        public var hard: Int
        /// How many descriptors were asked for.
        public var needed: Int
        /// Whether `current` covers `needed`.
        public var reached: Bool { current >= needed }
    }

    /// The soft and hard limits, nil if the kernel will not tell.
    public static func current() -> (soft: Int, hard: Int)? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return (clamp(limit.rlim_cur), clamp(limit.rlim_max))
    }

    /// Raises the soft limit to at least `needed` descriptors (never lowers it), as far as the hard
    /// limit allows; a privileged process also tries to raise the hard limit. Nil when the limits
    /// cannot be read at all.
    @discardableResult
    public static func raise(toAtLeast needed: Int) -> Outcome? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let previous = clamp(limit.rlim_cur)
        guard previous < needed else {
            return Outcome(previous: previous, current: previous, hard: clamp(limit.rlim_max), needed: needed)
        }
        // A privileged process may lift the hard limit too (root, CAP_SYS_RESOURCE); the kernel
        // refuses with EPERM otherwise, and then the hard limit is the ceiling.
        if clamp(limit.rlim_max) < needed {
            var wider = limit
            wider.rlim_max = rlim_t(needed)
            wider.rlim_cur = rlim_t(needed)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wider) == 0 {
                return Outcome(previous: previous, current: needed, hard: needed, needed: needed)
            }
        }
        var raised = limit
        raised.rlim_cur = min(limit.rlim_max, rlim_t(needed))
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 { raised.rlim_cur = limit.rlim_cur }
        return Outcome(
            previous: previous, current: clamp(raised.rlim_cur), hard: clamp(limit.rlim_max), needed: needed)
    }

    /// `RLIM_INFINITY` and anything past `Int.max` read as `Int.max`.
    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(Int.max) ? Int.max : Int(value)
    }
}
