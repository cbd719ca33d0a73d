import Testing

@testable import RESTGateway

@Suite struct EndToEndSmokeTests {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
