import FoundationEssentials

/// The session's source of time, injected so tests drive rate limits and expiry without sleeping.
/// Time is seconds since 1970 (UTC).
public struct SessionClock: Sendable {
    public let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double) { self.now = now }

    public static let system = SessionClock { Date().timeIntervalSince1970 }
}

/// A token bucket: `rate` messages per second on average, up to `burst` at once.
struct RateLimiter: Sendable {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: Double?

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
        tokens = self.burst
    }

    mutating func allow(now: Double) -> Bool {
        if let last, now > last { tokens = min(burst, tokens + (now - last) * rate) }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
