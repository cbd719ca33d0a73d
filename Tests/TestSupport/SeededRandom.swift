// Shared test-support target: helpers that more than one test target needs (seeded randomness,
// live servers on port 0, logins, WebSocket clients, JSON assertions, temporary directories)
// live here once; every test target re-exports this module (its `Exports.swift`).

/// The one SplitMix64 generator (CollabCore's, which the load tool uses too).
@_exported import struct CollabCore.SeededRandom

/// The name the session and end-to-end convergence tests used for their copies.
public typealias SplitMix64 = SeededRandom
