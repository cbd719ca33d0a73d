/// The wait before each reconnect attempt while a server is unreachable: `initial` first, then
/// doubling up to `maximum`, back to the start once a connection is open again.
struct ReconnectBackoff {
    private(set) var current: Duration = .zero

    /// The next wait under the configured `(initial, maximum)`.
    mutating func next(_ limits: (initial: Duration, maximum: Duration)) -> Duration {
        current = current == .zero ? limits.initial : min(current * 2, limits.maximum)
        return current
    }

    /// A connection is open: the next outage starts from `initial` again.
    mutating func reset() { current = .zero }
}
