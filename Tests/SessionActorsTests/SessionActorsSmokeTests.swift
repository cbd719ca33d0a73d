import Testing

@testable import SessionActors

@Suite struct SessionActorsSmokeTests {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
