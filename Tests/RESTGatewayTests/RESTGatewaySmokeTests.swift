import Testing

@testable import RESTGateway

@Suite struct RESTGatewaySmokeTests {
    @Test func moduleLoads() { #expect(Bool(true)) }
}
