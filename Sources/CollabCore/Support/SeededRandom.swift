/// SplitMix64: a small, fast, well-distributed deterministic generator. Seeded runs reproduce
/// exactly, which is what lets a failing randomized test or load run be replayed from its seed.
///
/// It lives here, in the pure core every other target already links, so the load tool
/// (`LoadTestKit`) and the tests (re-exported by `TestSupport`) share one copy.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed integer in `0..<n` (`n` > 0).
    public mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }
}
