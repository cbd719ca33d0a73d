import Testing

@testable import LoadTestKit

@Suite struct LoadTestSmokeTests {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
